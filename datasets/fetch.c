/* Downloads of the datasets that do not ship with glearn: libcurl into
 * FILE.part (resumed with a range request when one is left over), size and
 * SHA-256 (OpenSSL's EVP) checked, then synced and renamed into place. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "datasets/internal.h"

#define DEFAULT_TIMEOUT 30L
#define PATH_CAP (GL_DATA_PATH_MAX + 256)

const char *gl_data_url_base(void) {
  const char *env = getenv("GLEARN_DATA_URL");
  return env && *env ? env : GL_DATA_URL_DEFAULT;
}

gl_status gl_data_url(const gl_dataset_info *info, char *out, size_t cap) {
  if (!info->url)
    return gl_error(GL_EINVAL, "%s ships with glearn in data/; nothing to "
                               "fetch", info->name);
  const char *base = gl_data_url_base();
  size_t len = strlen(base);
  while (len > 0 && base[len - 1] == '/') len--;
  int n = snprintf(out, cap, "%.*s/%s", (int)len, base, info->url);
  if (n < 0 || (size_t)n >= cap)
    return gl_error(GL_EINVAL, "%s: the download URL is too long",
                    info->name);
  return GL_OK;
}

/* ------------------------------------------------------------ checks */
/* SHA-256 of a file read in chunks; with `inflate`, of its content as
 * zlib's gzread gives it (gzip inflated, anything else as it is). */
static gl_status hash_file(const char *path, bool inflate, char hex[65],
                           int64_t *size) {
  enum { CHUNK = 1 << 20 };
  int fd = inflate ? -1 : open(path, O_RDONLY | O_CLOEXEC);
  gzFile gz = inflate ? gzopen(path, "rb") : NULL;
  if (fd < 0 && !gz)
    return gl_error(GL_EIO, "cannot open %s: %s", path, strerror(errno));
  unsigned char *buf = gl_malloc(CHUNK, 1);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  gl_status st = GL_OK;
  if (!buf)
    st = GL_ENOMEM;
  else if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
    st = gl_error(GL_EINTERNAL, "%s: cannot start SHA-256 (OpenSSL)", path);
  int64_t total = 0;
  while (st == GL_OK) {
    ssize_t n = gz ? gzread(gz, buf, CHUNK) : read(fd, buf, CHUNK);
    if (n < 0 && !gz && errno == EINTR) continue;
    if (n < 0) {
      int e = 0;
      const char *why = gz ? gzerror(gz, &e) : strerror(errno);
      st = gl_error(GL_EIO, "cannot read %s: %s", path,
                    e == Z_ERRNO ? strerror(errno) : why);
    } else if (n == 0) {
      break;
    } else if (!EVP_DigestUpdate(ctx, buf, (size_t)n)) {
      st = gl_error(GL_EINTERNAL, "%s: SHA-256 failed (OpenSSL)", path);
    }
    total += n > 0 ? n : 0;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (st == GL_OK && (!EVP_DigestFinal_ex(ctx, md, &md_len) || md_len != 32))
    st = gl_error(GL_EINTERNAL, "%s: SHA-256 failed (OpenSSL)", path);
  if (st == GL_OK) {
    for (unsigned i = 0; i < md_len; i++)
      snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (size) *size = total;
  }
  EVP_MD_CTX_free(ctx);
  free(buf);
  if (gz) gzclose(gz);
  if (fd >= 0) close(fd);
  return st;
}

gl_status gl_data_sha256(const char *path, char hex[65], int64_t *size) {
  return hash_file(path, false, hex, size);
}

static bool ends_with_gz(const char *s) {
  size_t n = strlen(s);
  return n > 3 && !strcasecmp(s + n - 3, ".gz");
}

/* Checks `path` against a size (-1: none) and a SHA-256 (NULL: none) and
 * fills `out`.  Messages name the dataset and `what`: the file, or the
 * download and its URL. */
static gl_status check_file(const char *name, const char *path, bool inflate,
                            int64_t want_size, const char *want_sha,
                            const char *what, gl_data_check *out) {
  memset(out, 0, sizeof *out);
  GL_TRY(hash_file(path, inflate, out->sha256, &out->size));
  if (want_size >= 0 && out->size != want_size)
    return gl_error(GL_EFORMAT, "%s: size mismatch: %s is %lld bytes, "
                                "expected %lld", name, what,
                    (long long)out->size, (long long)want_size);
  out->size_checked = want_size >= 0;
  if (want_sha && strcasecmp(out->sha256, want_sha))
    return gl_error(GL_EFORMAT, "%s: checksum mismatch: %s has SHA-256 %s, "
                                "expected %s", name, what, out->sha256,
                    want_sha);
  out->sha_checked = want_sha != NULL;
  return GL_OK;
}

gl_status gl_data_verify(const gl_dataset_info *info, const char *path,
                         gl_data_check *out) {
  gl_data_check c;
  memset(&c, 0, sizeof c);
  gl_status st = GL_OK;
  struct stat sb;
  if (stat(path, &sb) != 0)
    st = gl_error(GL_EIO, "%s: cannot open %s: %s", info->name, path,
                  strerror(errno));
  else if (S_ISDIR(sb.st_mode) && (info->sha256 || info->size >= 0))
    st = gl_error(GL_EFORMAT, "%s: %s is a folder, not the file whose "
                              "checksum is recorded", info->name, path);
  else if (S_ISDIR(sb.st_mode))
    c.size = -1;
  else if (!info->sha256 && info->size < 0 && !ends_with_gz(path))
    c.size = (int64_t)sb.st_size; /* nothing recorded: nothing to read */
  else
    st = check_file(info->name, path, ends_with_gz(path), info->size,
                    info->sha256, path, &c);
  if (out) *out = c;
  return st;
}

/* ------------------------------------------------------------ transfer */
/* One transfer into the .part, appending at `offset`. */
typedef struct {
  const gl_dataset_info *info;
  const char *url, *part;
  CURL *curl;
  int fd;
  int64_t offset;      /* bytes of the .part kept before this transfer */
  int64_t got;         /* bytes written by this transfer */
  int64_t total;       /* the whole file's size as announced, -1: unknown */
  int64_t range_start; /* of the response's Content-Range, -1: none */
  int64_t range_total; /* likewise its total (after the '/'), -1: none */
  bool started;        /* the body of the final response has begun */
  bool discard;        /* its body is an error page: dropped */
  bool bad_range;      /* a 206 that does not start at offset */
  int write_errno;     /* errno of a failed write, 0: none */
  char errbuf[CURL_ERROR_SIZE];
  bool progress;
  gl_progress bar;
} xfer;

/* Content-Range of each response ("bytes S-E/T" or "bytes * /T"); the
 * status line of a new response (after a redirect) resets it. */
static size_t on_header(char *line, size_t size, size_t n, void *ctx) {
  xfer *x = ctx;
  size_t len = size * n;
  char h[256];
  snprintf(h, sizeof h, "%.*s", (int)(len < sizeof h ? len : sizeof h - 1),
           line);
  if (!strncmp(h, "HTTP/", 5)) {
    x->range_start = x->range_total = -1;
  } else if (!strncasecmp(h, "Content-Range:", 14)) {
    const char *p = h + 14;
    while (*p == ' ' || *p == '\t') p++;
    if (!strncasecmp(p, "bytes", 5)) p += 5;
    while (*p == ' ') p++;
    x->range_start = *p == '*' ? -1 : strtoll(p, NULL, 10);
    const char *slash = strchr(p, '/');
    x->range_total = slash && slash[1] != '*' ? strtoll(slash + 1, NULL, 10)
                                              : -1;
  }
  return len;
}

/* The start of the final response's body: decides what to do with it. */
static bool begin_body(xfer *x) {
  long code = 0;
  curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
  x->started = true;
  if (code >= 300) {
    x->discard = true;
    return true;
  }
  if (code == 206 && x->range_start >= 0 && x->range_start != x->offset) {
    x->bad_range = true;
    return false;
  }
  if (x->offset > 0 && code != 206) { /* the range was ignored: restart */
    if (ftruncate(x->fd, 0) != 0 || lseek(x->fd, 0, SEEK_SET) != 0) {
      x->write_errno = errno;
      return false;
    }
    x->offset = 0;
  }
  curl_off_t cl = -1;
  curl_easy_getinfo(x->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
  x->total = code == 206 && x->range_total >= 0 ? x->range_total
             : cl >= 0                          ? x->offset + cl
                                                : -1;
  int64_t bar_total = x->info->size >= 0 ? x->info->size : x->total;
  gl_progress_start(&x->bar, x->info->name, (long)bar_total,
                    x->progress && bar_total > 0);
  return true;
}

static size_t on_data(char *data, size_t size, size_t n, void *ctx) {
  xfer *x = ctx;
  size_t len = size * n;
  if (!x->started && !begin_body(x)) return 0;
  if (x->discard) return len;
  for (size_t done = 0; done < len;) {
    ssize_t w = write(x->fd, data + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      x->write_errno = errno;
      return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    done += (size_t)w;
    x->got += w;
  }
  char extra[48];
  snprintf(extra, sizeof extra, "%.1f MiB",
           (double)(x->offset + x->got) / (1 << 20));
  gl_progress_update(&x->bar, (long)(x->offset + x->got), extra);
  return len;
}

typedef enum {
  X_DONE,    /* the .part holds what the server has: check it */
  X_RESTART, /* the .part cannot be resumed: start again from zero */
  X_FAILED   /* an error, message set; the .part is kept */
} xfer_end;

/* Runs one transfer into x->fd (positioned at x->offset). */
static xfer_end transfer(xfer *x, long timeout) {
  CURL *c = x->curl;
  curl_easy_reset(c);
  x->errbuf[0] = 0;
  curl_easy_setopt(c, CURLOPT_URL, x->url);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "glearn-data");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, timeout);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
  if (x->offset > 0)
    curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->offset);
  CURLcode rc = curl_easy_perform(c);
  gl_progress_end(&x->bar);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  const char *name = x->info->name;
  const char *why = *x->errbuf ? x->errbuf : curl_easy_strerror(rc);
  if (rc == CURLE_RANGE_ERROR || x->bad_range) return X_RESTART;
  if (x->write_errno) {
    gl_error(GL_EIO, "%s: cannot write %s: %s", name, x->part,
             strerror(x->write_errno));
    return X_FAILED;
  }
  if (rc == CURLE_PARTIAL_FILE) {
    char of[32] = "";
    if (x->total >= 0) snprintf(of, sizeof of, " of %lld", (long long)x->total);
    gl_error(GL_EIO, "%s: transfer truncated: %lld%s bytes from %s", name,
             (long long)(x->offset + x->got), of, x->url);
    return X_FAILED;
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    gl_error(GL_EIO, "%s: timed out (%ld s without progress) on %s: %s",
             name, timeout, x->url, why);
    return X_FAILED;
  }
  if (rc != CURLE_OK) {
    gl_error(GL_EIO, "%s: download from %s failed: %s", name, x->url, why);
    return X_FAILED;
  }
  if (code == 416 && x->offset > 0) { /* nothing left after the .part */
    x->total = x->range_total;
    return X_DONE;
  }
  if (code >= 300) {
    gl_error(GL_EIO, "%s: HTTP status %ld from %s", name, code, x->url);
    return X_FAILED;
  }
  if (!x->started && x->offset > 0 && code != 206) {
    /* a 200 without a body: libcurl found the whole file already there */
    curl_off_t cl = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    x->total = cl >= 0 ? cl : -1;
  }
  return X_DONE;
}

/* ------------------------------------------------------------ fetch */
/* Creates the folders of `path` (mkdir -p of its parent). */
static gl_status make_parents(const char *name, const char *path) {
  char *p = strdup(path);
  if (!p) return gl_error(GL_ENOMEM, "out of memory");
  gl_status st = GL_OK;
  char *last = strrchr(p, '/');
  if (last && last != p) *last = 0;
  for (char *s = p + 1; last && last != p && st == GL_OK; s++) {
    bool end = *s == 0;
    if (*s != '/' && !end) continue;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
      st = gl_error(GL_EIO, "%s: cannot create folder %s: %s", name, p,
                    strerror(errno));
    else if (!gl_dir_exists(p))
      st = gl_error(GL_EIO, "%s: cannot create folder %s: not a folder",
                    name, p);
    if (end) break;
    *s = '/';
  }
  free(p);
  return st;
}

static gl_status fetch_timeout(const gl_fetch_opts *o, long *out) {
  *out = o && o->timeout > 0 ? o->timeout : DEFAULT_TIMEOUT;
  const char *env = getenv("GLEARN_FETCH_TIMEOUT");
  if ((o && o->timeout > 0) || !env || !*env) return GL_OK;
  if (!gl_parse_long(env, 1, 86400, out))
    return gl_error(GL_EINVAL, "GLEARN_FETCH_TIMEOUT: expected seconds in "
                               "[1, 86400], got '%s'", env);
  return GL_OK;
}

/* Syncs and closes the checked .part, renames it into place and syncs the
 * folder, so that the name appears only with all its bytes. */
static gl_status commit(const char *name, int fd, const char *part,
                        const char *path) {
  gl_status st = GL_OK;
  if (fsync(fd) != 0)
    st = gl_error(GL_EIO, "%s: cannot write %s: %s", name, part,
                  strerror(errno));
  if (close(fd) != 0 && st == GL_OK)
    st = gl_error(GL_EIO, "%s: cannot write %s: %s", name, part,
                  strerror(errno));
  if (st == GL_OK && rename(part, path) != 0)
    st = gl_error(GL_EIO, "%s: cannot rename %s to %s: %s", name, part,
                  path, strerror(errno));
  if (st != GL_OK) return st;
  char *dir = strdup(path);
  char *slash = dir ? strrchr(dir, '/') : NULL;
  if (slash) {
    *slash = 0;
    int dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)fsync(dfd); /* not every file system syncs folders */
      close(dfd);
    }
  }
  free(dir);
  return GL_OK;
}

/* Downloads into `part` (resuming it unless `from_zero`) and checks it;
 * on success it is renamed to `path`.  *retry is set when a resumed .part
 * turned out bad or not resumable, so that a fresh download may help. */
static gl_status fetch_once(xfer *x, const char *path, long timeout,
                            bool from_zero, bool *retry,
                            gl_fetch_result *res) {
  const char *name = x->info->name;
  *retry = false;
  x->fd = open(x->part, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (x->fd < 0)
    return gl_error(GL_EIO, "%s: cannot write %s: %s", name, x->part,
                    strerror(errno));
  if (flock(x->fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    close(x->fd);
    return gl_error(GL_EIO, "%s: another fetch is writing %s", name,
                    x->part);
  }
  off_t end = from_zero ? 0 : lseek(x->fd, 0, SEEK_END);
  if (end < 0 || (from_zero && ftruncate(x->fd, 0) != 0)) {
    gl_status st = gl_error(GL_EIO, "%s: cannot write %s: %s", name,
                            x->part, strerror(errno));
    close(x->fd);
    return st;
  }
  x->offset = end;
  x->got = 0;
  x->total = x->range_start = x->range_total = -1;
  x->started = x->discard = x->bad_range = false;
  x->write_errno = 0;
  const int64_t kept = x->offset;
  xfer_end e = transfer(x, timeout);
  res->received += x->got;
  res->resumed = x->offset;
  if (e == X_FAILED) {
    struct stat sb;
    if (fstat(x->fd, &sb) == 0 && sb.st_size == 0) {
      unlink(x->part); /* nothing to resume */
    } else {
      char msg[512];
      snprintf(msg, sizeof msg, "%s", gl_errmsg());
      gl_error(GL_EIO, "%s; %s kept for the next fetch to resume", msg,
               x->part);
    }
    close(x->fd);
    return GL_EIO;
  }
  if (e == X_RESTART) {
    close(x->fd);
    *retry = true;
    return gl_error(GL_EIO, "%s: %s cannot resume %s", name, x->url,
                    x->part);
  }
  char what[PATH_CAP + 64];
  snprintf(what, sizeof what, "the download from %s", x->url);
  int64_t want = x->info->size >= 0 ? x->info->size : x->total;
  gl_status st = check_file(name, x->part, false, want, x->info->sha256,
                            what, &res->check);
  if (st != GL_OK) {
    close(x->fd);
    unlink(x->part); /* its bytes are wrong: no use resuming them */
    *retry = kept > 0;
    return st;
  }
  return commit(name, x->fd, x->part, path);
}

gl_status gl_data_fetch(const gl_dataset_info *info, const char *dest_dir,
                        const gl_fetch_opts *opts, gl_fetch_result *res) {
  gl_fetch_result local;
  if (!res) res = &local;
  memset(res, 0, sizeof *res);
  char url[2048], part[PATH_CAP + 8];
  long timeout;
  GL_TRY(gl_data_url(info, url, sizeof url));
  GL_TRY(fetch_timeout(opts, &timeout));
  int n = snprintf(res->path, sizeof res->path, "%s/%s", dest_dir,
                   info->file);
  if (n < 0 || (size_t)n >= sizeof res->path)
    return gl_error(GL_EINVAL, "%s: the download folder's path is too long",
                    info->name);
  snprintf(part, sizeof part, "%s.part", res->path);
  if (gl_file_exists(res->path) &&
      gl_data_verify(info, res->path, &res->check) == GL_OK) {
    res->present = true;
    return GL_OK;
  }
  gl_errclear();
  GL_TRY(make_parents(info->name, res->path));
  xfer x = {.info = info, .url = url, .part = part,
            .progress = opts && opts->progress};
  if (!(x.curl = curl_easy_init()))
    return gl_error(GL_EINTERNAL, "%s: cannot start libcurl", info->name);
  bool retry = false;
  gl_status st = fetch_once(&x, res->path, timeout, false, &retry, res);
  if (st != GL_OK && retry)
    st = fetch_once(&x, res->path, timeout, true, &retry, res);
  curl_easy_cleanup(x.curl);
  char *slash = st != GL_OK ? strrchr(res->path, '/') : NULL;
  if (slash) { /* the dataset's folder, if this left it empty */
    *slash = 0;
    rmdir(res->path);
    *slash = '/';
  }
  return st;
}

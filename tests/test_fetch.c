/* Tests of dataset downloads (datasets/fetch.c) and of bin/glearn-data,
 * against a small HTTP/1.1 server run in a child process: good bytes,
 * wrong bytes, a transfer cut short, a 404, a redirect, a server that
 * ignores ranges and one that never answers; resumed .part files, a full
 * disk, and the real Coauthor-CS bytes when they are here. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "tests/test.h"

/* ------------------------------------------------------------ server */
/* Serves `body` at any path; the first path component picks how:
 *   good      the bytes, honouring "Range: bytes=S-" (206, or 416 past
 *             the end)
 *   corrupt   bytes of the same size with every 1000th one flipped
 *   norange   the bytes, always whole (200), ignoring any Range
 *   truncated announces the whole (rest of the) body, sends half, closes
 *   missing   404
 *   redirect  302 to the same path under good/
 *   hang      accepts and reads the request, never answers
 * Each request is logged to `log` as "<path> <range start or -1>". */
typedef struct {
  pid_t pid;
  int port;
  char log[512];
} server;

static void write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* the client went away */
    c += w;
    n -= (size_t)w;
  }
}

/* A response with the body, or its part from `range` (-1: none); only
 * half of the body is sent when `cut`. */
static void send_body(int fd, const unsigned char *data, size_t len,
                      long long range, bool honour, bool cut) {
  char head[256];
  size_t from = 0;
  if (honour && range >= (long long)len) {
    int n = snprintf(head, sizeof head, "HTTP/1.1 416 Range Not Satisfiable"
                     "\r\nContent-Range: bytes */%zu\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n", len);
    write_all(fd, head, (size_t)n);
    return;
  }
  int n;
  if (honour && range >= 0) {
    from = (size_t)range;
    n = snprintf(head, sizeof head, "HTTP/1.1 206 Partial Content\r\n"
                 "Content-Range: bytes %zu-%zu/%zu\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n", from, len - 1, len, len - from);
  } else {
    n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu"
                 "\r\nConnection: close\r\n\r\n", len);
  }
  write_all(fd, head, (size_t)n);
  write_all(fd, data + from, cut ? (len - from) / 2 : len - from);
}

/* The child: listens on 127.0.0.1 (port 0), reports the port on `report`
 * and answers `conns` connections one at a time, then waits to be killed
 * (an alarm ends it should the tests die first). */
static void serve(const unsigned char *body, const unsigned char *bad,
                  size_t len, int conns, int report, const char *log) {
  signal(SIGPIPE, SIG_IGN);
  alarm(120);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  int port = -1;
  if (ls >= 0 && bind(ls, (struct sockaddr *)&a, sizeof a) == 0 &&
      listen(ls, 16) == 0 && getsockname(ls, (struct sockaddr *)&a, &al) == 0)
    port = ntohs(a.sin_port);
  write_all(report, &port, sizeof port);
  close(report);
  int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  for (int c = 0; port > 0 && c < conns; c++) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) break;
    char req[8192] = "";
    size_t n = 0;
    while (n < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
      ssize_t r = read(fd, req + n, sizeof req - 1 - n);
      if (r <= 0) break;
      n += (size_t)r;
      req[n] = 0;
    }
    char path[1024] = "", mode[64] = "";
    sscanf(req, "GET %1023s", path);
    sscanf(path, "/%63[^/]", mode);
    const char *r = strcasestr(req, "\r\nRange: bytes=");
    long long range = r ? atoll(r + 15) : -1;
    char line[1100];
    int ln = snprintf(line, sizeof line, "%s %lld\n", path, range);
    write_all(logfd, line, (size_t)ln);
    if (!strcmp(mode, "hang")) continue; /* kept open, never answered */
    if (!strcmp(mode, "good"))
      send_body(fd, body, len, range, true, false);
    else if (!strcmp(mode, "corrupt"))
      send_body(fd, bad, len, range, true, false);
    else if (!strcmp(mode, "norange"))
      send_body(fd, body, len, range, false, false);
    else if (!strcmp(mode, "truncated"))
      send_body(fd, body, len, range, true, true);
    else if (!strcmp(mode, "redirect")) {
      char head[1200];
      int hn = snprintf(head, sizeof head, "HTTP/1.1 302 Found\r\nLocation: "
                        "/good%s\r\nContent-Length: 0\r\nConnection: close"
                        "\r\n\r\n", path + strlen("/redirect"));
      write_all(fd, head, (size_t)hn);
    } else {
      static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 9"
                               "\r\nConnection: close\r\n\r\nnot found";
      write_all(fd, nf, sizeof nf - 1);
    }
    close(fd);
  }
  for (;;) pause();
}

/* Starts the server on a copy of body (its corrupt twin made here, before
 * the fork); false (with a failed check) when it could not start. */
static bool server_start(server *s, const unsigned char *body, size_t len,
                         int conns) {
  static int serial;
  memset(s, 0, sizeof *s);
  snprintf(s->log, sizeof s->log, "%s/server-%d.log", gl_test_tmp(),
           ++serial);
  unsigned char *bad = malloc(len + 1);
  int p[2];
  if (!bad || pipe(p) != 0) {
    free(bad);
    CHECK_MSG(false, "cannot start the test server");
    return false;
  }
  memcpy(bad, body, len);
  for (size_t i = 0; i < len; i += 1000) bad[i] ^= 0x5a;
  fflush(NULL);
  s->pid = fork();
  if (s->pid == 0) {
    close(p[0]);
    serve(body, bad, len, conns, p[1], s->log);
    _exit(0);
  }
  free(bad);
  close(p[1]);
  s->port = -1;
  if (s->pid < 0 || read(p[0], &s->port, sizeof s->port) != sizeof s->port)
    s->port = -1;
  close(p[0]);
  if (s->port <= 0) {
    if (s->pid > 0) {
      kill(s->pid, SIGKILL);
      waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
    CHECK_MSG(false, "cannot start the test server");
    return false;
  }
  return true;
}

static void server_stop(server *s) {
  if (s->pid > 0) {
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
  }
  s->pid = 0;
  unsetenv("GLEARN_DATA_URL");
  unsetenv("GLEARN_FETCH_TIMEOUT");
}

/* The download base for one of the server's modes. */
static const char *base_url(const server *s, const char *mode) {
  static char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/%s", s->port, mode);
  return url;
}

static void use_mode(const server *s, const char *mode) {
  setenv("GLEARN_DATA_URL", base_url(s, mode), 1);
  setenv("no_proxy", "127.0.0.1", 1);
}

/* Requests served so far; *range receives the last one's range start. */
static int requests(const server *s, long long *range) {
  FILE *f = fopen(s->log, "r");
  int n = 0;
  char path[1024];
  long long r;
  if (range) *range = -2;
  while (f && fscanf(f, "%1023s %lld", path, &r) == 2) {
    n++;
    if (range) *range = r;
  }
  if (f) fclose(f);
  return n;
}

/* ------------------------------------------------------------ fixtures */
enum { TINY = 300 * 1024 };
static unsigned char tiny[TINY];
static char tiny_sha[65];

/* The test bytes (random) and their SHA-256 as sha256sum computes it. */
static void make_tiny(void) {
  gl_rng r;
  gl_rng_seed(&r, 7);
  for (size_t i = 0; i < TINY; i++) tiny[i] = (unsigned char)gl_rng_u64(&r);
  const char *p = gl_test_path("tiny.ref");
  FILE *f = fopen(p, "wb");
  CHECK(f && fwrite(tiny, 1, TINY, f) == TINY);
  if (f) fclose(f);
  CHECK_OK(gl_data_sha256(p, tiny_sha, NULL));
}

/* A registry entry for the test bytes at <base>/files/tiny.bin, stored as
 * sub/tiny.bin; sha and size as given (NULL, -1: unchecked). */
static gl_dataset_info tiny_info(const char *sha, int64_t size) {
  return (gl_dataset_info){"tiny", "sub/tiny.bin", "test bytes",
                           "files/tiny.bin", sha, size, false};
}

/* A fresh, empty folder under the test's scratch folder (its path in a
 * ring of 16 buffers, as join's results). */
static const char *fresh_dir(const char *name) {
  static char ring[16][512];
  static int k;
  char *p = ring[k++ % 16], cmd[1200];
  snprintf(p, sizeof ring[0], "%s/%s", gl_test_tmp(), name);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", p, p);
  CHECK_EQ(gl_test_run(cmd, NULL), 0);
  return p;
}

static const char *join(const char *dir, const char *file) {
  static char ring[16][1024];
  static int k;
  char tmp[sizeof ring[0]]; /* dir may be an earlier result */
  snprintf(tmp, sizeof tmp, "%s/%s", dir, file);
  return strcpy(ring[k++ % 16], tmp);
}

/* Whether the file at path holds exactly data[0..len). */
static bool holds(const char *path, const void *data, size_t len) {
  char *buf;
  size_t n;
  if (gl_read_file(path, &buf, &n) != GL_OK) {
    gl_errclear();
    return false;
  }
  bool same = n == len && !memcmp(buf, data, len);
  free(buf);
  return same;
}

static void write_bytes(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(data, 1, len, f) == len);
  if (f) fclose(f);
}

/* ------------------------------------------------------------ library */
TEST(fetch_sha256_known_answers) {
  char hex[65];
  int64_t size = -1;
  CHECK_OK(gl_data_sha256(gl_test_write("empty.txt", ""), hex, &size));
  CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                     "27ae41e4649b934ca495991b7852b855"));
  CHECK_EQ(size, 0);
  CHECK_OK(gl_data_sha256(gl_test_write("abc.txt", "abc"), hex, &size));
  CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
                     "b00361a396177a9cb410ff61f20015ad"));
  CHECK_EQ(size, 3);
  /* several of the reader's chunks, against coreutils */
  enum { BIG = 3 * 1024 * 1024 + 17 };
  unsigned char *big = malloc(BIG);
  CHECK(big != NULL);
  if (!big) return;
  for (size_t i = 0; i < BIG; i++) big[i] = (unsigned char)(i * 131 + 7);
  const char *p = gl_test_path("big.bin");
  write_bytes(p, big, BIG);
  free(big);
  CHECK_OK(gl_data_sha256(p, hex, &size));
  CHECK_EQ(size, BIG);
  char cmd[600], *out = NULL;
  snprintf(cmd, sizeof cmd, "sha256sum '%s'", p);
  if (gl_test_run(cmd, &out) == 0)
    CHECK_MSG(!strncmp(out, hex, 64), "sha256sum %.64s, ours %s", out, hex);
  free(out);
  CHECK_ERR(gl_data_sha256(gl_test_path("no-such-file"), hex, NULL), GL_EIO,
            "no-such-file");
}

TEST(fetch_url_and_shipped) {
  unsetenv("GLEARN_DATA_URL");
  CHECK(!strcmp(gl_data_url_base(), GL_DATA_URL_DEFAULT));
  CHECK(strstr(GL_DATA_URL_DEFAULT, "shchur/gnn-benchmark/1e72912a") != NULL);
  const gl_dataset_info *cs = gl_dataset_info_find("coauthor-cs");
  char url[512];
  CHECK_OK(gl_data_url(cs, url, sizeof url));
  CHECK(!strcmp(url, GL_DATA_URL_DEFAULT "/data/npz/ms_academic_cs.npz"));
  setenv("GLEARN_DATA_URL", "http://mirror.example/base/", 1);
  CHECK(!strcmp(gl_data_url_base(), "http://mirror.example/base/"));
  CHECK_OK(gl_data_url(cs, url, sizeof url));
  CHECK(!strcmp(url, "http://mirror.example/base/data/npz/ms_academic_cs.npz"));
  unsetenv("GLEARN_DATA_URL");
  const gl_dataset_info *cora = gl_dataset_info_find("cora");
  CHECK_ERR(gl_data_fetch(cora, gl_test_tmp(), NULL, NULL), GL_EINVAL,
            "cora ships with glearn in data/; nothing to fetch");
  CHECK_ERR(gl_data_url(cora, url, sizeof url), GL_EINVAL, "nothing to fetch");
  setenv("GLEARN_FETCH_TIMEOUT", "soon", 1);
  gl_dataset_info t = tiny_info(NULL, -1);
  CHECK_ERR(gl_data_fetch(&t, fresh_dir("timeout-env"), NULL, NULL),
            GL_EINVAL, "GLEARN_FETCH_TIMEOUT");
  unsetenv("GLEARN_FETCH_TIMEOUT");
}

TEST(fetch_verify_present_files) {
  make_tiny();
  const char *dir = fresh_dir("verify");
  const char *p = join(dir, "tiny.bin");
  write_bytes(p, tiny, TINY);
  gl_data_check c;
  gl_dataset_info t = tiny_info(tiny_sha, TINY);
  CHECK_OK(gl_data_verify(&t, p, &c));
  CHECK(c.size_checked && c.sha_checked && c.size == TINY);
  CHECK(!strcmp(c.sha256, tiny_sha));
  /* size only; nothing recorded */
  t = tiny_info(NULL, TINY);
  CHECK_OK(gl_data_verify(&t, p, &c));
  CHECK(c.size_checked && !c.sha_checked);
  t = tiny_info(NULL, -1);
  CHECK_OK(gl_data_verify(&t, p, &c));
  CHECK(!c.size_checked && !c.sha_checked && c.size == TINY);
  /* mismatches name the dataset, the file and both values */
  t = tiny_info(tiny_sha, TINY + 1);
  CHECK_ERR(gl_data_verify(&t, p, &c), GL_EFORMAT, "size mismatch");
  CHECK(strstr(gl_errmsg(), "tiny: ") == gl_errmsg());
  CHECK(strstr(gl_errmsg(), p) && strstr(gl_errmsg(), "307201"));
  const char *zero = "0000000000000000000000000000000000000000000000000000"
                     "000000000000";
  t = tiny_info(zero, TINY);
  CHECK_ERR(gl_data_verify(&t, p, &c), GL_EFORMAT, "checksum mismatch");
  CHECK(strstr(gl_errmsg(), tiny_sha) && strstr(gl_errmsg(), zero));
  t = tiny_info(tiny_sha, TINY);
  CHECK_ERR(gl_data_verify(&t, join(dir, "absent.bin"), &c), GL_EIO,
            "absent.bin");
  /* a .gz is checked by its content */
  const char *gz = join(dir, "tiny.bin.gz");
  gzFile z = gzopen(gz, "wb");
  CHECK(z && gzwrite(z, tiny, TINY) == TINY);
  if (z) gzclose(z);
  CHECK_OK(gl_data_verify(&t, gz, &c));
  CHECK(c.sha_checked && c.size == TINY);
}

/* A library test's setting: the server on the test bytes, a download
 * folder that does not exist yet (the fetch makes it) and the paths of the
 * file and its .part in it. */
typedef struct {
  server s;
  const char *dest, *file, *part;
} tiny_case;

static bool tiny_start(tiny_case *c, const char *name, int conns) {
  make_tiny();
  c->dest = join(fresh_dir(name), "dest");
  c->file = join(c->dest, "sub/tiny.bin");
  c->part = join(c->dest, "sub/tiny.bin.part");
  return server_start(&c->s, tiny, TINY, conns);
}

/* Leaves data[0..len) as the .part of an earlier run. */
static void left_part(const tiny_case *c, const void *data, size_t len) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/sub'", c->dest);
  CHECK_EQ(gl_test_run(cmd, NULL), 0);
  write_bytes(c->part, data, len);
}

TEST(fetch_downloads_then_keeps) {
  tiny_case c;
  if (!tiny_start(&c, "good", 8)) return;
  use_mode(&c.s, "good");
  gl_dataset_info t = tiny_info(tiny_sha, TINY);
  gl_fetch_result r;
  CHECK_OK(gl_data_fetch(&t, c.dest, NULL, &r));
  CHECK(!strcmp(r.path, c.file));
  CHECK(holds(c.file, tiny, TINY) && !gl_file_exists(c.part));
  CHECK(!r.present && r.resumed == 0 && r.received == TINY);
  CHECK(r.check.sha_checked && r.check.size_checked);
  long long range;
  CHECK_EQ(requests(&c.s, &range), 1);
  CHECK_EQ(range, -1);
  /* present and verified: no second request */
  CHECK_OK(gl_data_fetch(&t, c.dest, NULL, &r));
  CHECK(r.present && r.received == 0);
  CHECK_EQ(requests(&c.s, NULL), 1);
  /* through a redirect, checked by the server's Content-Length only */
  use_mode(&c.s, "redirect");
  t = tiny_info(NULL, -1);
  const char *dest2 = fresh_dir("redirected");
  CHECK_OK(gl_data_fetch(&t, dest2, NULL, &r));
  CHECK(holds(join(dest2, "sub/tiny.bin"), tiny, TINY));
  CHECK_EQ(requests(&c.s, NULL), 3);
  server_stop(&c.s);
}

TEST(fetch_bad_bytes_are_removed) {
  tiny_case c;
  if (!tiny_start(&c, "bad", 8)) return;
  gl_dataset_info t = tiny_info(tiny_sha, TINY);
  use_mode(&c.s, "corrupt");
  CHECK_ERR(gl_data_fetch(&t, c.dest, NULL, NULL), GL_EFORMAT,
            "tiny: checksum mismatch");
  CHECK(strstr(gl_errmsg(), base_url(&c.s, "corrupt")) != NULL);
  CHECK(!gl_file_exists(c.file) && !gl_file_exists(c.part));
  /* the registry's size wins over the server's */
  use_mode(&c.s, "good");
  t = tiny_info(NULL, TINY + 10);
  CHECK_ERR(gl_data_fetch(&t, c.dest, NULL, NULL), GL_EFORMAT,
            "size mismatch");
  CHECK(!gl_file_exists(c.file) && !gl_file_exists(c.part));
  /* an error status names itself and the URL; nothing is written */
  use_mode(&c.s, "missing");
  CHECK_ERR(gl_data_fetch(&t, c.dest, NULL, NULL), GL_EIO, "404");
  CHECK(strstr(gl_errmsg(), base_url(&c.s, "missing")) != NULL);
  CHECK(!gl_file_exists(c.file) && !gl_file_exists(c.part));
  CHECK(!gl_dir_exists(join(c.dest, "sub"))); /* the folder made for it */
  /* a .part another fetch holds is left alone */
  left_part(&c, "", 0);
  int fd = open(c.part, O_WRONLY);
  CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
  use_mode(&c.s, "good");
  CHECK_ERR(gl_data_fetch(&t, c.dest, NULL, NULL), GL_EIO,
            "another fetch is writing");
  CHECK(gl_file_exists(c.part) && !gl_file_exists(c.file));
  if (fd >= 0) close(fd);
  CHECK_EQ(requests(&c.s, NULL), 3);
  server_stop(&c.s);
}

TEST(fetch_truncated_keeps_part_and_resumes) {
  tiny_case c;
  if (!tiny_start(&c, "truncated", 8)) return;
  /* nothing recorded: the server's Content-Length tells it is short */
  gl_dataset_info t = tiny_info(NULL, -1);
  use_mode(&c.s, "truncated");
  CHECK_ERR(gl_data_fetch(&t, c.dest, NULL, NULL), GL_EIO, "truncated");
  CHECK(strstr(gl_errmsg(), "kept for the next fetch to resume") != NULL);
  CHECK(!gl_file_exists(c.file));
  CHECK(holds(c.part, tiny, TINY / 2));
  /* the next fetch asks for the rest only */
  use_mode(&c.s, "good");
  t = tiny_info(tiny_sha, TINY);
  gl_fetch_result r;
  CHECK_OK(gl_data_fetch(&t, c.dest, NULL, &r));
  long long range;
  CHECK_EQ(requests(&c.s, &range), 2);
  CHECK_EQ(range, TINY / 2);
  CHECK(r.resumed == TINY / 2 && r.received == TINY - TINY / 2);
  CHECK(holds(c.file, tiny, TINY) && !gl_file_exists(c.part));
  server_stop(&c.s);
}

/* Fetches the test bytes with data[0..len) left as the .part, from the
 * server's `mode`; checks the result and returns the requests it took,
 * the last one's range start in *range. */
static int fetch_over_part(tiny_case *c, const char *name, const char *mode,
                           const void *data, size_t len, long long *range,
                           gl_fetch_result *r) {
  c->dest = join(fresh_dir(name), "dest");
  c->file = join(c->dest, "sub/tiny.bin");
  c->part = join(c->dest, "sub/tiny.bin.part");
  left_part(c, data, len);
  use_mode(&c->s, mode);
  int before = requests(&c->s, NULL);
  gl_dataset_info t = tiny_info(tiny_sha, TINY);
  CHECK_OK(gl_data_fetch(&t, c->dest, NULL, r));
  CHECK(r->check.sha_checked && holds(c->file, tiny, TINY));
  CHECK(!gl_file_exists(c->part));
  return requests(&c->s, range) - before;
}

TEST(fetch_resumes_a_partial_file) {
  tiny_case c;
  if (!tiny_start(&c, "resume", 16)) return;
  gl_fetch_result r;
  long long range;
  /* the first half left by an earlier run: the rest is asked for */
  CHECK_EQ(fetch_over_part(&c, "resume", "good", tiny, TINY / 2, &range, &r),
           1);
  CHECK_EQ(range, TINY / 2);
  CHECK(r.resumed == TINY / 2 && r.received == TINY - TINY / 2);
  /* a server that ignores the range: the whole file again */
  CHECK_EQ(fetch_over_part(&c, "norange", "norange", tiny, TINY / 3, &range,
                           &r), 2);
  CHECK_EQ(range, -1); /* the second request starts from zero */
  CHECK(r.resumed == 0 && r.received == TINY);
  /* a complete .part: the server says 416, the .part is checked */
  CHECK_EQ(fetch_over_part(&c, "complete", "good", tiny, TINY, &range, &r),
           1);
  CHECK_EQ(range, TINY);
  CHECK(r.received == 0 && r.resumed == TINY);
  /* a .part as long as the file with wrong bytes: removed, fetched anew */
  unsigned char *wrong = malloc(TINY);
  CHECK(wrong != NULL);
  if (wrong) {
    memcpy(wrong, tiny, TINY);
    wrong[10] ^= 1;
    CHECK_EQ(fetch_over_part(&c, "wrong", "good", wrong, TINY, &range, &r),
             2);
    CHECK_EQ(range, -1);
    CHECK(r.resumed == 0 && r.received == TINY);
    free(wrong);
  }
  server_stop(&c.s);
}

TEST(fetch_silent_server_times_out) {
  tiny_case c;
  if (!tiny_start(&c, "hang", 2)) return;
  use_mode(&c.s, "hang");
  setenv("GLEARN_FETCH_TIMEOUT", "2", 1);
  gl_dataset_info t = tiny_info(tiny_sha, TINY);
  double t0 = gl_now();
  CHECK_ERR(gl_data_fetch(&t, c.dest, NULL, NULL), GL_EIO, "timed out");
  double dt = gl_now() - t0;
  CHECK_MSG(dt >= 1.5 && dt < 6, "gave up after %.2f s", dt);
  CHECK(strstr(gl_errmsg(), base_url(&c.s, "hang")) != NULL);
  CHECK(!gl_file_exists(c.file) && !gl_file_exists(c.part));
  CHECK_EQ(requests(&c.s, NULL), 1);
  server_stop(&c.s);
}

/* ------------------------------------------------------------ the tool */
/* A tool of the build under test (make sets GLEARN_BIN), as an absolute
 * path: the tools run in a scratch folder, where ../shared/datasets is
 * not on their search path. */
static const char *tool(const char *name) {
  static char path[2][PATH_MAX];
  static int k;
  char rel[PATH_MAX];
  const char *dir = getenv("GLEARN_BIN");
  snprintf(rel, sizeof rel, "%s/%s", dir && *dir ? dir : "./bin", name);
  char *p = path[k++ % 2];
  if (!realpath(rel, p)) snprintf(p, PATH_MAX, "%s", rel);
  return p;
}

/* The scratch folder the tools run in, with data/ linked to the shipped
 * datasets (the sanitized build's tools have none beside them). */
static const char *run_dir(void) {
  const char *run = gl_test_path("run");
  char real[PATH_MAX], cmd[PATH_MAX + 600];
  if (!gl_dir_exists(run) && realpath("data", real)) {
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && ln -s '%s' '%s/data'", run,
             real, run);
    CHECK_EQ(gl_test_run(cmd, NULL), 0);
  }
  return run;
}

/* Runs `glearn-data args` in a scratch folder with GLEARN_DATA=data (and
 * the cache there too) and the download base of mode `mode` of s (NULL:
 * the default); exit code, output in *out. */
static int run_data(const server *s, const char *mode, const char *data,
                    const char *args, char **out) {
  char cmd[4096], env[700] = "";
  if (s && mode)
    snprintf(env, sizeof env, "GLEARN_DATA_URL=%s ", base_url(s, mode));
  snprintf(cmd, sizeof cmd, "cd '%s' && %sGLEARN_DATA='%s' XDG_CACHE_HOME='%s' "
           "no_proxy=127.0.0.1 %s %s", run_dir(), env, data,
           gl_test_path("xdg"), tool("glearn-data"), args);
  return gl_test_run(cmd, out);
}

static int lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

/* `glearn-data args` must exit 2 with one line on stderr holding msg. */
static void bad_usage(const char *args, const char *msg) {
  char *out;
  int rc = run_data(NULL, NULL, gl_test_path("nodata"), args, &out);
  CHECK_MSG(rc == 2, "'%s': exit %d, want 2: %s", args, rc, out);
  CHECK_MSG(strstr(out, msg) != NULL, "'%s': no '%s' in: %s", args, msg,
            out);
  CHECK_MSG(lines(out) == 1 && strstr(out, "glearn-data: error: ") == out,
            "'%s': not one error line: %s", args, out);
  free(out);
}

TEST(fetch_tool_usage) {
  bad_usage("", "no command");
  bad_usage("download cora", "unknown command 'download'");
  bad_usage("list --fast", "unknown option '--fast'");
  bad_usage("list cora", "list takes no names");
  bad_usage("fetch", "no dataset named");
  bad_usage("fetch --quiet", "coauthor-cs");
  bad_usage("fetch coauthor-cs nosuch", "unknown dataset 'nosuch'");
  bad_usage("fetch nosuch", "known: coauthor-cs, coauthor-physics");
  bad_usage("fetch cora", "cora ships with glearn in data/; nothing to fetch");
  bad_usage("verify nosuch", "unknown dataset 'nosuch'");
  bad_usage("fetch --data", "--data needs a value");
  char *out;
  CHECK_EQ(run_data(NULL, NULL, gl_test_path("nodata"), "--help", &out), 0);
  const char *want[] = {"list", "fetch NAME", "fetch all", "verify",
                        "--data DIR", "--quiet", "GLEARN_DATA ",
                        "XDG_CACHE_HOME", "GLEARN_DATA_URL",
                        "GLEARN_FETCH_TIMEOUT", GL_DATA_URL_DEFAULT,
                        "Exit status: 0 ok, 1 failure", "2 bad usage",
                        "gnnbench-pubmed", "blogcatalog"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    CHECK_MSG(strstr(out, want[i]) != NULL, "--help lacks '%s'", want[i]);
  free(out);
  CHECK_EQ(run_data(NULL, NULL, gl_test_path("nodata"), "-h", &out), 0);
  CHECK(strstr(out, "usage: glearn-data") == out);
  free(out);
}

/* The line of `name` in a listing ("" when absent), in a static buffer. */
static const char *line_of(const char *out, const char *name) {
  static char line[2048];
  line[0] = 0;
  size_t n = strlen(name);
  for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (!strncmp(p, name, n) && p[n] == ' ') {
      const char *e = strchr(p, '\n');
      size_t len = e ? (size_t)(e - p) : strlen(p);
      snprintf(line, sizeof line, "%.*s", (int)len, p);
      break;
    }
  return line;
}

TEST(fetch_tool_list_and_verify) {
  const char *data = fresh_dir("listdata");
  CHECK_EQ(mkdir(join(data, "coauthor"), 0755), 0);
  CHECK_EQ(mkdir(join(data, "gnn-benchmark"), 0755), 0);
  /* present, but not the recorded bytes; and one without a checksum */
  const char *cs = join(data, "coauthor/ms_academic_cs.npz");
  write_bytes(cs, "not the npz", 11);
  const char *full = join(data, "gnn-benchmark/cora_full.npz");
  write_bytes(full, "anything", 8);
  server s = {.port = 9};
  char *out;
  CHECK_EQ(run_data(&s, "mirror", data, "list", &out), 0);
  CHECK(strstr(out, "dataset") == out);
  const char *l = line_of(out, "cora");
  CHECK_MSG(strstr(l, "shipped") && strstr(l, " yes ") &&
            strstr(l, "planetoid/cora"), "cora: %s", l);
  l = line_of(out, "coauthor-cs");
  CHECK_MSG(strstr(l, "12.2 MiB") && strstr(l, " yes ") && strstr(l, cs) &&
            strstr(l, "http://127.0.0.1:9/mirror/data/npz/ms_academic_cs.npz"),
            "coauthor-cs: %s", l);
  l = line_of(out, "amazon-photo");
  CHECK_MSG(strstr(l, " no ") &&
            strstr(l, join(data, "gnn-benchmark/amazon_electronics_photo.npz")),
            "amazon-photo: %s", l);
  l = line_of(out, "gnnbench-pubmed");
  CHECK_MSG(strstr(l, " ? ") && strstr(l, " no "), "gnnbench-pubmed: %s", l);
  free(out);
  /* verify: a mismatch fails, a file without checksum passes as such */
  CHECK_EQ(run_data(&s, "mirror", data, "verify coauthor-cs", &out), 1);
  l = line_of(out, "coauthor-cs");
  CHECK_MSG(strstr(l, "mismatch") && strstr(l, "size mismatch"), "%s", out);
  CHECK(strstr(out, "glearn-data: error: 1 dataset failed verification"));
  free(out);
  CHECK_EQ(run_data(&s, "mirror", data, "verify cora-full", &out), 0);
  l = line_of(out, "cora-full");
  CHECK_MSG(strstr(l, " ok ") && strstr(l, "no checksum recorded") &&
            strstr(l, full), "%s", out);
  free(out);
  /* all present ones: the shipped ones too, and the mismatch fails it */
  CHECK_EQ(run_data(&s, "mirror", data, "verify", &out), 1);
  CHECK_MSG(strstr(line_of(out, "cora"), " ok ") &&
            strstr(line_of(out, "cora-full"), " ok ") &&
            strstr(line_of(out, "coauthor-cs"), "mismatch") &&
            !*line_of(out, "gnnbench-pubmed"), "%s", out);
  free(out);
  /* named but absent */
  CHECK_EQ(run_data(&s, "mirror", data, "verify gnnbench-pubmed", &out), 1);
  CHECK_MSG(strstr(line_of(out, "gnnbench-pubmed"), "glearn-data fetch gnnbench-pubmed"), "%s",
            out);
  free(out);
}

/* Fetching coauthor-cs from a server that serves `mode` must exit 1 with
 * one line naming the dataset and `cause`, and leave nothing under the
 * final name; `shell` goes before the command (ulimit). */
static void tool_fails(server *s, const char *mode, const char *shell,
                       const char *cause, bool keeps_part) {
  const char *data = fresh_dir("tooldata");
  char args[512], *out;
  snprintf(args, sizeof args, "fetch coauthor-cs >/dev/null");
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd '%s' && %s GLEARN_DATA_URL=%s GLEARN_DATA='%s' "
           "XDG_CACHE_HOME='%s' no_proxy=127.0.0.1 %s %s", run_dir(), shell,
           base_url(s, mode), data, gl_test_path("xdg"), tool("glearn-data"),
           args);
  int rc = gl_test_run(cmd, &out);
  CHECK_MSG(rc == 1, "%s: exit %d, want 1: %s", mode, rc, out);
  CHECK_MSG(lines(out) == 1 && strstr(out, "glearn-data: error: ") == out &&
            strstr(out, "coauthor-cs") && strstr(out, cause),
            "%s: want one line naming coauthor-cs and '%s': %s", mode, cause,
            out);
  const char *file = join(data, "coauthor/ms_academic_cs.npz");
  CHECK_MSG(!gl_file_exists(file), "%s: %s exists", mode, file);
  CHECK_EQ(gl_file_exists(join(data, "coauthor/ms_academic_cs.npz.part")),
           keeps_part);
  free(out);
}

TEST(fetch_tool_failures) {
  /* the size the registry records, other bytes */
  const size_t n = 12835626;
  unsigned char *body = malloc(n);
  CHECK(body != NULL);
  if (!body) return;
  for (size_t i = 0; i < n; i++) body[i] = (unsigned char)(i % 251);
  server s;
  bool up = server_start(&s, body, n, 8);
  free(body);
  if (!up) return;
  tool_fails(&s, "corrupt", "", "checksum mismatch", false);
  tool_fails(&s, "missing", "", "HTTP status 404", false);
  tool_fails(&s, "truncated", "", "truncated", true);
  /* a full disk: writes fail with EFBIG past 64 KiB */
  tool_fails(&s, "good", "ulimit -f 64; trap '' XFSZ;", "File too large",
             true);
  server_stop(&s);
}

TEST(fetch_tool_real_coauthor_cs) {
  const char *src = "../shared/datasets/coauthor/ms_academic_cs.npz";
  char *bytes;
  size_t n;
  if (gl_read_file(src, &bytes, &n) != GL_OK) {
    gl_errclear();
    SKIP("needs ../shared/datasets/coauthor/ms_academic_cs.npz");
  }
  server s;
  bool up = server_start(&s, (unsigned char *)bytes, n, 8);
  if (!up) {
    free(bytes);
    return;
  }
  const char *data = fresh_dir("realdata");
  char *out;
  int rc = run_data(&s, "good", data, "fetch coauthor-cs", &out);
  CHECK_MSG(rc == 0, "exit %d: %s", rc, out);
  CHECK_MSG(strstr(out, "coauthor-cs: saved") &&
            strstr(out, "size and SHA-256 checked"), "%s", out);
  const char *file = join(data, "coauthor/ms_academic_cs.npz");
  CHECK(holds(file, bytes, n));
  free(bytes);
  free(out);
  /* a second fetch finds it and asks nothing */
  CHECK_EQ(run_data(&s, "good", data, "fetch coauthor-cs", &out), 0);
  CHECK_MSG(strstr(out, "not downloaded again"), "%s", out);
  CHECK_EQ(requests(&s, NULL), 1);
  free(out);
  CHECK_EQ(run_data(&s, "good", data, "verify coauthor-cs", &out), 0);
  CHECK_MSG(strstr(line_of(out, "coauthor-cs"), " ok "), "%s", out);
  free(out);
  server_stop(&s);
  /* gnn-train reads it through GLEARN_DATA */
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd '%s' && GLEARN_DATA='%s' %s coauthor-cs gcn "
           "--epochs 1 --quiet", run_dir(), data,
           tool("gnn-train"));
  rc = gl_test_run(cmd, &out);
  CHECK_MSG(rc == 0 && strstr(out, "coauthor-cs"), "gnn-train exit %d: %s",
            rc, out);
  free(out);
}

TEST(fetch_tool_train_hint) {
  char cmd[2048], *out;
  snprintf(cmd, sizeof cmd, "cd '%s' && %s coauthor-cs gcn --data '%s'",
           gl_test_tmp(), tool("gnn-train"), fresh_dir("empty"));
  int rc = gl_test_run(cmd, &out);
  CHECK_MSG(rc == 2 && strstr(out, "`glearn-data fetch coauthor-cs`"),
            "exit %d: %s", rc, out);
  free(out);
}

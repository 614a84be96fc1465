/* .npy and .npz (zip of .npy) reading and writing.  The zip reader walks the
 * central directory (no zip64, no encryption), accepts stored and deflated
 * members, and checks every CRC-32; the .npy reader parses the header dict
 * by hand and never unpickles: object arrays and other dtypes glearn does not
 * use are recorded as skipped members, and only asking for one fails. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "datasets/internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .npy code assumes a little-endian host"
#endif

/* ------------------------------------------------------------ dtypes */
static const struct {
  const char *descr;
  gl_dtype t;
  size_t size;
} dtypes[] = {{"<i4", GL_I32, 4}, {"<i8", GL_I64, 8}, {"<f4", GL_F32, 4},
              {"<f8", GL_F64, 8}, {"|u1", GL_U8, 1},  {"|b1", GL_BOOL, 1}};
#define N_DTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

size_t gl_dtype_size(gl_dtype t) {
  for (int i = 0; i < N_DTYPES; i++)
    if (dtypes[i].t == t) return dtypes[i].size;
  return 0;
}

static const char *dtype_descr(gl_dtype t) {
  for (int i = 0; i < N_DTYPES; i++)
    if (dtypes[i].t == t) return dtypes[i].descr;
  return NULL;
}

/* ------------------------------------------------------------ npy header */
static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static void skip_ws(const char **p, const char *e) {
  while (*p < e && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r'))
    (*p)++;
}

/* A Python string literal in single or double quotes, without escapes. */
static bool py_str(const char **p, const char *e, char *out, size_t cap) {
  if (*p >= e || (**p != '\'' && **p != '"')) return false;
  char q = *(*p)++;
  size_t k = 0;
  while (*p < e && **p != q) {
    if (**p == '\\' || k + 1 >= cap) return false;
    out[k++] = *(*p)++;
  }
  if (*p >= e) return false;
  (*p)++;
  out[k] = 0;
  return true;
}

/* After a list or dict item: consumes a ',' or stops before `close`;
 * false when neither follows. */
static bool py_next(const char **p, const char *e, char close) {
  skip_ws(p, e);
  if (*p < e && **p == ',') {
    (*p)++;
    return true;
  }
  return *p < e && **p == close;
}

static bool py_word(const char **p, const char *e, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(e - *p) < n || memcmp(*p, w, n) != 0) return false;
  *p += n;
  return true;
}

/* Parses the header of a .npy image of `size` bytes into `a` (name left as
 * is).  Supported members get their data copied; others are marked skipped.
 * `ctx` prefixes messages ("file.npz: member x" or "file.npy"). */
static gl_status npy_parse(const char *ctx, const uint8_t *b, size_t size,
                           gl_array *a) {
  if (size < 10 || memcmp(b, npy_magic, 6) != 0)
    return gl_error(GL_EFORMAT, "%s: not a .npy array (bad magic)", ctx);
  int ver = b[6];
  size_t pre = ver == 1 ? 10 : 12, hlen;
  if (ver < 1 || ver > 3)
    return gl_error(GL_EFORMAT, "%s: unsupported .npy version %d.%d", ctx, ver,
                    b[7]);
  if (size < pre)
    return gl_error(GL_EFORMAT, "%s: truncated .npy header", ctx);
  hlen = ver == 1 ? (size_t)b[8] | (size_t)b[9] << 8
                  : (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
                        (size_t)b[11] << 24;
  if (hlen > size - pre)
    return gl_error(GL_EFORMAT,
                    "%s: truncated .npy header (%zu header bytes announced, "
                    "%zu present)",
                    ctx, hlen, size - pre);
  const char *p = (const char *)b + pre, *e = p + hlen;
  char key[32], descr[32] = "";
  bool fortran = false, seen[3] = {false, false, false};
  int ndim = 0;
  int64_t shape[4] = {0, 0, 0, 0};
  skip_ws(&p, e);
  if (p >= e || *p++ != '{') goto bad;
  for (;;) {
    skip_ws(&p, e);
    if (p < e && *p == '}') break;
    if (!py_str(&p, e, key, sizeof key)) goto bad;
    skip_ws(&p, e);
    if (p >= e || *p++ != ':') goto bad;
    skip_ws(&p, e);
    if (!strcmp(key, "descr")) {
      if (p < e && *p == '[')
        return gl_error(GL_EFORMAT,
                        "%s: structured dtypes are not supported", ctx);
      if (!py_str(&p, e, descr, sizeof descr)) goto bad;
      seen[0] = true;
    } else if (!strcmp(key, "fortran_order")) {
      if (py_word(&p, e, "True"))
        fortran = true;
      else if (!py_word(&p, e, "False"))
        goto bad;
      seen[1] = true;
    } else if (!strcmp(key, "shape")) {
      if (p >= e || *p++ != '(') goto bad;
      for (;;) {
        skip_ws(&p, e);
        if (p < e && *p == ')') break;
        if (p < e && *p == '-')
          return gl_error(GL_EFORMAT, "%s: negative dimension in the shape",
                          ctx);
        if (p >= e || (unsigned)(*p - '0') >= 10u) goto bad;
        int64_t v = 0;
        for (; p < e && (unsigned)(*p - '0') < 10u; p++) {
          if (v > (INT64_MAX - 9) / 10)
            return gl_error(GL_EFORMAT, "%s: dimension too large", ctx);
          v = v * 10 + (*p - '0');
        }
        if (p < e && *p == 'L') p++; /* Python 2 long */
        if (ndim == 4)
          return gl_error(GL_EFORMAT,
                          "%s: more than 4 dimensions are not supported", ctx);
        shape[ndim++] = v;
        if (!py_next(&p, e, ')')) goto bad;
      }
      p++;
      seen[2] = true;
    } else {
      return gl_error(GL_EFORMAT, "%s: unknown .npy header key '%s'", ctx,
                      key);
    }
    if (!py_next(&p, e, '}')) goto bad;
  }
  if (!seen[0] || !seen[1] || !seen[2])
    return gl_error(GL_EFORMAT,
                    "%s: .npy header lacks 'descr', 'fortran_order' or "
                    "'shape'",
                    ctx);
  a->ndim = ndim;
  memcpy(a->shape, shape, sizeof shape);
  a->data = NULL;
  a->skipped[0] = 0;
  int64_t count = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] && count > INT64_MAX / shape[i])
      return gl_error(GL_EFORMAT, "%s: the shape's element count overflows",
                      ctx);
    count *= shape[i];
  }
  a->count = count;
  int k = 0;
  while (k < N_DTYPES && strcmp(descr, dtypes[k].descr)) k++;
  if (k == N_DTYPES) {
    if (!strcmp(descr, "|O"))
      snprintf(a->skipped, sizeof a->skipped,
               "is a pickled object array; refusing to unpickle");
    else
      snprintf(a->skipped, sizeof a->skipped,
               "has dtype '%s', which glearn does not read", descr);
    return GL_OK;
  }
  if (fortran && ndim > 1) {
    snprintf(a->skipped, sizeof a->skipped,
             "is stored in Fortran order with %d dimensions (unsupported)",
             ndim);
    return GL_OK;
  }
  a->dtype = dtypes[k].t;
  size_t have = size - pre - hlen;
  /* the byte count itself may not fit: (2^62,) of '<f4' is 2^64 bytes */
  if ((uint64_t)count > SIZE_MAX / dtypes[k].size)
    return gl_error(GL_EFORMAT,
                    "%s: shape of %lld elements of %s needs more than %zu "
                    "bytes of data (the member holds %zu)",
                    ctx, (long long)count, descr, SIZE_MAX, have);
  if ((size_t)count * dtypes[k].size != have)
    return gl_error(GL_EFORMAT,
                    "%s: shape of %lld elements of %s needs %zu bytes of "
                    "data but the member holds %zu",
                    ctx, (long long)count, descr,
                    (size_t)count * dtypes[k].size, have);
  a->data = gl_malloc(have ? have : 1, 1);
  if (!a->data) return GL_ENOMEM;
  memcpy(a->data, b + pre + hlen, have);
  return GL_OK;
bad:
  return gl_error(GL_EFORMAT, "%s: malformed .npy header near '%.*s'", ctx,
                  (int)(e - p < 24 ? e - p : 24), p);
}

size_t gl_npy_header(char *buf, size_t cap, int version, const char *dict) {
  size_t pre = version == 1 ? 10 : 12, dl = strlen(dict);
  size_t total = (pre + dl + 1 + 63) / 64 * 64;
  size_t hlen = total - pre;
  if (total > cap || (version == 1 && hlen > 65535)) return 0;
  memcpy(buf, npy_magic, 6);
  buf[6] = (char)version;
  buf[7] = 0;
  for (size_t i = 0; i < pre - 8; i++) buf[8 + i] = (char)(hlen >> (8 * i));
  memcpy(buf + pre, dict, dl);
  memset(buf + pre + dl, ' ', total - pre - dl - 1);
  buf[total - 1] = '\n';
  return total;
}

gl_status gl_npy_make_header(const gl_array *a, char *buf, size_t *hlen,
                                 size_t *dsize) {
  const char *descr = dtype_descr(a->dtype);
  if (!descr)
    return gl_error(GL_EINVAL, "array %s: unknown dtype %d", a->name,
                    (int)a->dtype);
  if (a->ndim < 0 || a->ndim > 4)
    return gl_error(GL_EINVAL, "array %s: ndim %d not in 0..4", a->name,
                    a->ndim);
  int64_t count = 1;
  char shape[128] = "";
  int k = 0;
  for (int i = 0; i < a->ndim; i++) {
    if (a->shape[i] < 0 || (a->shape[i] && count > INT64_MAX / 8 / a->shape[i]))
      return gl_error(GL_EINVAL, "array %s: bad shape", a->name);
    count *= a->shape[i];
    k += snprintf(shape + k, sizeof shape - (size_t)k, "%s%lld",
                  i ? ", " : "", (long long)a->shape[i]);
  }
  if (a->ndim == 1) snprintf(shape + k, sizeof shape - (size_t)k, ",");
  if (count != a->count)
    return gl_error(GL_EINVAL, "array %s: count %lld != product of shape %lld",
                    a->name, (long long)a->count, (long long)count);
  if (count > 0 && !a->data)
    return gl_error(GL_EINVAL, "array %s: no data", a->name);
  char dict[200];
  snprintf(dict, sizeof dict,
           "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr,
           shape);
  *hlen = gl_npy_header(buf, 256, 1, dict);
  *dsize = (size_t)count * gl_dtype_size(a->dtype);
  return GL_OK;
}

/* ------------------------------------------------------------ zip reading */
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

typedef struct {
  const char *name;
  int name_len;
  uint16_t method;
  uint32_t crc, csize, usize;
  size_t data_off;
} zentry;

static gl_status zip_entries(const char *path, const uint8_t *b, size_t size,
                             zentry **out, int *n_out) {
  *out = NULL;
  *n_out = 0;
  /* the end of central directory record: 22 bytes + a comment <= 65535 */
  size_t eocd = SIZE_MAX;
  if (size >= 22)
    for (size_t i = size - 22;; i--) {
      if (rd32(b + i) == 0x06054b50 && i + 22 + rd16(b + i + 20) <= size) {
        eocd = i;
        break;
      }
      if (i == 0 || size - i > 22 + 65535) break;
    }
  if (eocd == SIZE_MAX) {
    if (size >= 4 && rd32(b) == 0x04034b50)
      return gl_error(GL_EFORMAT,
                      "%s: truncated zip archive (no end of central directory "
                      "record)",
                      path);
    return gl_error(GL_EFORMAT, "%s: not a zip archive (.npz)", path);
  }
  const uint8_t *r = b + eocd;
  uint32_t n = rd16(r + 10), cd_size = rd32(r + 12), cd_off = rd32(r + 16);
  if (rd16(r + 4) || rd16(r + 6) || rd16(r + 8) != n)
    return gl_error(GL_EFORMAT, "%s: multi-disk zip archives are not "
                                "supported",
                    path);
  if (n == 0xFFFF || cd_size == 0xFFFFFFFF || cd_off == 0xFFFFFFFF)
    return gl_error(GL_EFORMAT, "%s: zip64 archives are not supported", path);
  if ((uint64_t)cd_off + cd_size > eocd)
    return gl_error(GL_EFORMAT,
                    "%s: truncated or corrupt zip archive (central directory "
                    "outside the file)",
                    path);
  zentry *z = gl_calloc(n ? n : 1, sizeof *z);
  if (!z) return GL_ENOMEM;
  size_t p = cd_off, cd_end = (size_t)cd_off + cd_size;
  for (uint32_t i = 0; i < n; i++) {
    if (p + 46 > cd_end || rd32(b + p) != 0x02014b50) {
      free(z);
      return gl_error(GL_EFORMAT,
                      "%s: corrupt zip central directory (entry %u)", path,
                      (unsigned)i);
    }
    const uint8_t *c = b + p;
    uint16_t flags = rd16(c + 8), nl = rd16(c + 28);
    size_t next = p + 46 + nl + rd16(c + 30) + rd16(c + 32);
    zentry *e = &z[i];
    e->method = rd16(c + 10);
    e->crc = rd32(c + 16);
    e->csize = rd32(c + 20);
    e->usize = rd32(c + 24);
    e->name = (const char *)c + 46;
    e->name_len = nl;
    uint32_t loff = rd32(c + 42);
    gl_status st = GL_OK;
    if (next > cd_end)
      st = gl_error(GL_EFORMAT, "%s: corrupt zip central directory (entry %u)",
                    path, (unsigned)i);
    else if (e->csize == 0xFFFFFFFF || e->usize == 0xFFFFFFFF ||
             loff == 0xFFFFFFFF)
      st = gl_error(GL_EFORMAT, "%s: member %.*s: zip64 is not supported",
                    path, nl, e->name);
    else if (flags & 1)
      st = gl_error(GL_EFORMAT, "%s: member %.*s is encrypted", path, nl,
                    e->name);
    else if (e->method != 0 && e->method != 8)
      st = gl_error(GL_EFORMAT,
                    "%s: member %.*s: compression method %u is not supported "
                    "(only stored and deflate)",
                    path, nl, e->name, (unsigned)e->method);
    else if (e->method == 0 && e->csize != e->usize)
      st = gl_error(GL_EFORMAT, "%s: member %.*s: stored sizes differ", path,
                    nl, e->name);
    else if ((size_t)loff + 30 > cd_off || rd32(b + loff) != 0x04034b50)
      st = gl_error(GL_EFORMAT,
                    "%s: member %.*s: bad local header offset (corrupt zip)",
                    path, nl, e->name);
    else {
      e->data_off = (size_t)loff + 30 + rd16(b + loff + 26) +
                    rd16(b + loff + 28);
      if (e->data_off + e->csize > cd_off)
        st = gl_error(GL_EFORMAT,
                      "%s: member %.*s: data runs past the central directory "
                      "(truncated zip)",
                      path, nl, e->name);
    }
    if (st != GL_OK) {
      free(z);
      return st;
    }
    p = next;
  }
  *out = z;
  *n_out = (int)n;
  return GL_OK;
}

/* The uncompressed bytes of a member: a pointer into the archive for stored
 * members, an allocation (*owned) for deflated ones; CRC-32 checked. */
static gl_status zip_extract(const char *path, const uint8_t *b,
                             const zentry *e, uint8_t **owned,
                             const uint8_t **data) {
  *owned = NULL;
  const uint8_t *src = b + e->data_off;
  if (e->method == 0) {
    *data = src;
  } else {
    if ((uint64_t)e->usize > (uint64_t)e->csize * 1032 + 1024)
      return gl_error(GL_EFORMAT,
                      "%s: member %.*s: implausible compression ratio "
                      "(corrupt zip)",
                      path, e->name_len, e->name);
    uint8_t *out = gl_malloc((size_t)e->usize + 1, 1);
    if (!out) return GL_ENOMEM;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -15) != Z_OK) {
      free(out);
      return gl_error(GL_EINTERNAL, "%s: zlib inflateInit2 failed", path);
    }
    zs.next_in = (Bytef *)src;
    zs.avail_in = e->csize;
    zs.next_out = out;
    zs.avail_out = e->usize + 1; /* room for one byte too many */
    int rc = inflate(&zs, Z_FINISH);
    char msg[96];
    snprintf(msg, sizeof msg, "%s", zs.msg ? zs.msg : "unexpected end");
    uLong got = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || got != e->usize) {
      free(out);
      if (rc == Z_STREAM_END)
        snprintf(msg, sizeof msg, "%lu bytes instead of %lu",
                 (unsigned long)got, (unsigned long)e->usize);
      return gl_error(GL_EFORMAT, "%s: member %.*s: corrupt deflate data (%s)",
                      path, e->name_len, e->name, msg);
    }
    *owned = out;
    *data = out;
  }
  /* The fuzz build skips the check: mutated members would otherwise never
   * reach the .npy parser. */
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  if (crc32(crc32(0, Z_NULL, 0), *data, e->usize) != e->crc) {
    free(*owned);
    *owned = NULL;
    return gl_error(GL_EFORMAT,
                    "%s: member %.*s: CRC-32 mismatch (corrupt archive)", path,
                    e->name_len, e->name);
  }
#endif
  return GL_OK;
}

/* ------------------------------------------------------------ npz / npy API */
void gl_npz_free(gl_npz *z) {
  for (int i = 0; i < z->n; i++) free(z->a[i].data);
  free(z->a);
  free(z->path);
  memset(z, 0, sizeof *z);
}

gl_status gl_npz_read(gl_npz *z, const char *path) {
  memset(z, 0, sizeof *z);
  char *buf;
  size_t size;
  GL_TRY(gl_data_read(path, &buf, &size));
  gl_status st = gl_npz_read_buffer(z, path, buf, size);
  free(buf);
  return st;
}

gl_status gl_npz_read_buffer(gl_npz *z, const char *path, const void *buf,
                             size_t size) {
  memset(z, 0, sizeof *z);
  const uint8_t *b = (const uint8_t *)buf;
  zentry *ents = NULL;
  int n = 0;
  gl_status st = zip_entries(path, b, size, &ents, &n);
  if (st == GL_OK) {
    z->path = gl_malloc(strlen(path) + 1, 1);
    z->a = gl_calloc(n ? (size_t)n : 1, sizeof *z->a);
    if (!z->path || !z->a) st = GL_ENOMEM;
    if (z->path) strcpy(z->path, path);
  }
  for (int i = 0; i < n && st == GL_OK; i++) {
    const zentry *e = &ents[i];
    gl_array *a = &z->a[z->n++];
    int nl = e->name_len;
    bool npy = nl > 4 && !memcmp(e->name + nl - 4, ".npy", 4);
    if (npy) nl -= 4;
    if (nl >= (int)sizeof a->name || memchr(e->name, 0, (size_t)nl)) {
      st = gl_error(GL_EFORMAT, "%s: member name '%.*s' is too long or "
                                "contains NUL",
                    path, nl < 64 ? nl : 64, e->name);
      break;
    }
    memcpy(a->name, e->name, (size_t)nl);
    a->name[nl] = 0;
    if (!npy) {
      snprintf(a->skipped, sizeof a->skipped, "is not a .npy member");
      continue;
    }
    uint8_t *owned = NULL;
    const uint8_t *data = NULL;
    if ((st = zip_extract(path, b, e, &owned, &data))) break;
    char ctx[300];
    snprintf(ctx, sizeof ctx, "%s: member %s", path, a->name);
    st = npy_parse(ctx, data, e->usize, a);
    free(owned);
  }
  free(ents);
  if (st != GL_OK) gl_npz_free(z);
  return st;
}

gl_status gl_npz_find(const gl_npz *z, const char *name, const gl_array **out) {
  *out = NULL;
  for (int i = 0; i < z->n; i++)
    if (!strcmp(z->a[i].name, name)) {
      if (z->a[i].skipped[0])
        return gl_error(GL_EFORMAT, "%s: member %s %s", z->path, name,
                        z->a[i].skipped);
      *out = &z->a[i];
      return GL_OK;
    }
  return gl_error(GL_ENOTFOUND, "%s: no member %s", z->path ? z->path : "npz",
                  name);
}

const gl_array *gl_npz_get(const gl_npz *z, const char *name) {
  const gl_array *a;
  gl_npz_find(z, name, &a);
  return a;
}

gl_status gl_npy_read(gl_array *a, const char *path) {
  memset(a, 0, sizeof *a);
  char *buf;
  size_t size;
  GL_TRY(gl_data_read(path, &buf, &size));
  gl_status st = npy_parse(path, (const uint8_t *)buf, size, a);
  free(buf);
  if (st == GL_OK && a->skipped[0])
    st = gl_error(GL_EFORMAT, "%s: the array %s", path, a->skipped);
  if (st != GL_OK) {
    free(a->data);
    memset(a, 0, sizeof *a);
  }
  return st;
}

gl_status gl_npy_write(const char *path, const gl_array *a) {
  char head[256];
  size_t hlen, dsize;
  GL_TRY(gl_npy_make_header(a, head, &hlen, &dsize));
  gl_afile f;
  GL_TRY(gl_afile_open(&f, path));
  fwrite(head, 1, hlen, f.f);
  if (dsize) fwrite(a->data, 1, dsize, f.f);
  return gl_afile_commit(&f);
}

/* ------------------------------------------------------------ zip writing */
static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v & 0xFFFF);
  put16(p + 2, v >> 16);
}

/* One member's content is head ++ data (head may be NULL). */
typedef struct {
  const char *name;
  const void *head, *data;
  size_t head_size, size;
} zmember;

/* Raw deflate of head ++ data into a new buffer. */
static gl_status deflate_member(const zmember *m, uint8_t **out,
                                size_t *out_size) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return gl_error(GL_EINTERNAL, "zlib deflateInit2 failed");
  size_t cap = deflateBound(&zs, (uLong)(m->head_size + m->size)) + 64;
  uint8_t *buf = gl_malloc(cap, 1);
  if (!buf) {
    deflateEnd(&zs);
    return GL_ENOMEM;
  }
  zs.next_out = buf;
  zs.avail_out = (uInt)cap;
  zs.next_in = (Bytef *)m->head;
  zs.avail_in = (uInt)m->head_size;
  int rc = m->head_size ? deflate(&zs, Z_NO_FLUSH) : Z_OK;
  zs.next_in = (Bytef *)m->data;
  zs.avail_in = (uInt)m->size;
  if (rc == Z_OK) rc = deflate(&zs, Z_FINISH);
  *out_size = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    free(buf);
    return gl_error(GL_EINTERNAL, "zlib deflate failed");
  }
  *out = buf;
  return GL_OK;
}

static gl_status zip_write(const char *path, const zmember *m, int n,
                           bool deflate) {
  if (n < 0 || n > 65534)
    return gl_error(GL_EINVAL, "%s: %d members (a zip holds at most 65534 "
                               "without zip64)",
                    path, n);
  uint32_t *info = gl_malloc((size_t)(n ? n : 1) * 4, sizeof *info);
  if (!info) return GL_ENOMEM;
  gl_afile f;
  gl_status st = gl_afile_open(&f, path);
  if (st != GL_OK) {
    free(info);
    return st;
  }
  uint64_t pos = 0;
  uint8_t h[46];
  for (int i = 0; i < n && st == GL_OK; i++) {
    size_t nl = strlen(m[i].name), usize = m[i].head_size + m[i].size;
    uint32_t crc = crc32(0, Z_NULL, 0);
    if (m[i].head_size) crc = crc32(crc, m[i].head, (uInt)m[i].head_size);
    if (m[i].size) crc = crc32(crc, m[i].data, (uInt)m[i].size);
    uint8_t *comp = NULL;
    size_t csize = usize;
    if (usize >= 0xFFFFFFFFu || nl > 0xFFFF || pos >= 0xFFFFFFFFu) {
      st = gl_error(GL_EINVAL, "%s: member %s too large for a zip without "
                               "zip64",
                    path, m[i].name);
      break;
    }
    if (deflate && (st = deflate_member(&m[i], &comp, &csize))) break;
    memset(h, 0, 30);
    put32(h, 0x04034b50);
    put16(h + 4, 20);
    put16(h + 8, deflate ? 8 : 0);
    put16(h + 12, 0x21); /* 1980-01-01 */
    put32(h + 14, crc);
    put32(h + 18, (uint32_t)csize);
    put32(h + 22, (uint32_t)usize);
    put16(h + 26, (uint32_t)nl);
    fwrite(h, 1, 30, f.f);
    fwrite(m[i].name, 1, nl, f.f);
    if (comp) {
      fwrite(comp, 1, csize, f.f);
      free(comp);
    } else {
      if (m[i].head_size) fwrite(m[i].head, 1, m[i].head_size, f.f);
      if (m[i].size) fwrite(m[i].data, 1, m[i].size, f.f);
    }
    info[4 * i] = crc;
    info[4 * i + 1] = (uint32_t)csize;
    info[4 * i + 2] = (uint32_t)usize;
    info[4 * i + 3] = (uint32_t)pos;
    pos += 30 + nl + csize;
  }
  uint64_t cd_off = pos;
  for (int i = 0; i < n && st == GL_OK; i++) {
    size_t nl = strlen(m[i].name);
    memset(h, 0, 46);
    put32(h, 0x02014b50);
    put16(h + 4, 20);
    put16(h + 6, 20);
    put16(h + 10, deflate ? 8 : 0);
    put16(h + 14, 0x21);
    put32(h + 16, info[4 * i]);
    put32(h + 20, info[4 * i + 1]);
    put32(h + 24, info[4 * i + 2]);
    put16(h + 28, (uint32_t)nl);
    put32(h + 42, info[4 * i + 3]);
    fwrite(h, 1, 46, f.f);
    fwrite(m[i].name, 1, nl, f.f);
    pos += 46 + nl;
  }
  if (st == GL_OK && (cd_off >= 0xFFFFFFFFu || pos >= 0xFFFFFFFFu))
    st = gl_error(GL_EINVAL, "%s: archive too large for a zip without zip64",
                  path);
  free(info);
  if (st != GL_OK) {
    gl_afile_abort(&f);
    return st;
  }
  memset(h, 0, 22);
  put32(h, 0x06054b50);
  put16(h + 8, (uint32_t)n);
  put16(h + 10, (uint32_t)n);
  put32(h + 12, (uint32_t)(pos - cd_off));
  put32(h + 16, (uint32_t)cd_off);
  fwrite(h, 1, 22, f.f);
  return gl_afile_commit(&f);
}

gl_status gl_zip_write(const char *path, const gl_zip_member *m, int n,
                       bool deflate) {
  zmember *zm = gl_calloc(n > 0 ? (size_t)n : 1, sizeof *zm);
  if (!zm) return GL_ENOMEM;
  for (int i = 0; i < n; i++) {
    zm[i].name = m[i].name;
    zm[i].data = m[i].data;
    zm[i].size = m[i].size;
  }
  gl_status st = zip_write(path, zm, n, deflate);
  free(zm);
  return st;
}

gl_array gl_array_of(const char *name, gl_dtype t, int ndim, int64_t n,
                     void *data) {
  gl_array a;
  memset(&a, 0, sizeof a);
  snprintf(a.name, sizeof a.name, "%s", name);
  a.dtype = t;
  a.ndim = ndim;
  a.shape[0] = n;
  a.count = n;
  a.data = data;
  return a;
}

gl_status gl_npz_write(const char *path, const gl_array *arrays, int n) {
  if (n < 0 || n > 65534)
    return gl_error(GL_EINVAL, "%s: bad number of arrays %d", path, n);
  zmember *zm = gl_calloc(n > 0 ? (size_t)n : 1, sizeof *zm);
  char *heads = gl_malloc(n > 0 ? (size_t)n : 1, 256 + 140);
  gl_status st = zm && heads ? GL_OK : GL_ENOMEM;
  for (int i = 0; i < n && st == GL_OK; i++) {
    const gl_array *a = &arrays[i];
    char *head = heads + (size_t)i * (256 + 140), *name = head + 256;
    size_t nl = strnlen(a->name, sizeof a->name);
    if (nl == 0 || nl >= sizeof a->name) {
      st = gl_error(GL_EINVAL, "%s: array %d has no name or too long a name",
                    path, i);
      break;
    }
    for (int j = 0; j < i && st == GL_OK; j++)
      if (!strcmp(arrays[j].name, a->name))
        st = gl_error(GL_EINVAL, "%s: two arrays named %s", path, a->name);
    if (st != GL_OK || (st = gl_npy_make_header(a, head, &zm[i].head_size,
                                             &zm[i].size)))
      break;
    snprintf(name, 140, "%s.npy", a->name);
    zm[i].name = name;
    zm[i].head = head;
    zm[i].data = a->data;
  }
  if (st == GL_OK) st = zip_write(path, zm, n, false);
  free(zm);
  free(heads);
  return st;
}

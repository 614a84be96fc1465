/* glearn core: a run's state as one byte string (gl_state).  A field is
 * stored as its name's length (2 bytes), the name, its element size and
 * count (8 bytes each), then its bytes; loading checks all four. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/core.h"

void gl_state_save_init(gl_state *s) { memset(s, 0, sizeof *s); }

void gl_state_load_init(gl_state *s, const void *buf, size_t len) {
  memset(s, 0, sizeof *s);
  s->load = true;
  s->buf = (unsigned char *)buf;
  s->len = len;
}

void gl_state_free(gl_state *s) {
  if (!s->load) free(s->buf);
  memset(s, 0, sizeof *s);
}

static gl_status put(gl_state *s, const void *p, size_t n) {
  if (n > s->cap - s->len) {
    size_t cap = s->cap ? s->cap : 4096;
    while (cap - s->len < n) {
      if (cap > SIZE_MAX / 2) return gl_error(GL_ENOMEM, "state too large");
      cap *= 2;
    }
    unsigned char *b = gl_realloc(s->buf, cap, 1);
    if (!b) return GL_ENOMEM;
    s->buf = b;
    s->cap = cap;
  }
  if (n) memcpy(s->buf + s->len, p, n);
  s->len += n;
  return GL_OK;
}

static gl_status get(gl_state *s, const char *name, void *p, size_t n) {
  if (n > s->len - s->pos)
    return gl_error(GL_EFORMAT, "saved state: truncated at '%s'", name);
  if (n) memcpy(p, s->buf + s->pos, n);
  s->pos += n;
  return GL_OK;
}

gl_status gl_state_io(gl_state *s, const char *name, void *p, size_t size,
                      size_t count) {
  const size_t nl = strlen(name);
  if (nl > 255 || (size && count > SIZE_MAX / size))
    return gl_error(GL_EINVAL, "state field '%.40s': bad name or size",
                    name);
  uint16_t len16 = (uint16_t)nl;
  uint64_t sz = size, cnt = count;
  if (!s->load) {
    GL_TRY(put(s, &len16, sizeof len16));
    GL_TRY(put(s, name, nl));
    GL_TRY(put(s, &sz, sizeof sz));
    GL_TRY(put(s, &cnt, sizeof cnt));
    return put(s, p, size * count);
  }
  char got[256];
  uint16_t gl = 0;
  uint64_t gsz = 0, gcnt = 0;
  GL_TRY(get(s, name, &gl, sizeof gl));
  if (gl > 255)
    return gl_error(GL_EFORMAT, "saved state: garbled before '%s'", name);
  GL_TRY(get(s, name, got, gl));
  got[gl] = 0;
  if (strcmp(got, name))
    return gl_error(GL_EFORMAT, "saved state: expected '%s', found '%s'",
                    name, got);
  GL_TRY(get(s, name, &gsz, sizeof gsz));
  GL_TRY(get(s, name, &gcnt, sizeof gcnt));
  if (gsz != sz || gcnt != cnt)
    return gl_error(GL_EFORMAT,
                    "saved state: '%s' holds %llu values of %llu bytes, "
                    "expected %llu of %llu",
                    name, (unsigned long long)gcnt, (unsigned long long)gsz,
                    (unsigned long long)cnt, (unsigned long long)sz);
  return get(s, name, p, size * count);
}

gl_status gl_state_len(gl_state *s, const char *name, size_t *n,
                       size_t max) {
  uint64_t v = *n;
  GL_TRY(gl_state_io(s, name, &v, sizeof v, 1));
  if (s->load && v > max)
    return gl_error(GL_EFORMAT, "saved state: '%s' is %llu, at most %llu",
                    name, (unsigned long long)v, (unsigned long long)max);
  *n = (size_t)v;
  return GL_OK;
}

gl_status gl_state_same(gl_state *s, const char *name, const void *p,
                        size_t size, const char *what) {
  if (!s->load) return gl_state_io(s, name, (void *)p, size, 1);
  unsigned char *got = gl_malloc(size ? size : 1, 1);
  if (!got) return GL_ENOMEM;
  gl_status st = gl_state_io(s, name, got, size, 1);
  if (st == GL_OK && memcmp(got, p, size))
    st = gl_error(GL_EINVAL, "the run was saved with other %s", what);
  free(got);
  return st;
}

gl_status gl_state_rng(gl_state *s, const char *name, gl_rng *r, size_t n) {
  GL_TRY(gl_state_io(s, name, r, sizeof *r, n));
  for (size_t i = 0; s->load && i < n; i++)
    if (!(r[i].s[0] | r[i].s[1] | r[i].s[2] | r[i].s[3]))
      return gl_error(GL_EFORMAT, "saved state: '%s' is a stream of zeros",
                      name);
  return GL_OK;
}

gl_status gl_state_end(const gl_state *s) {
  if (s->load && s->pos != s->len)
    return gl_error(GL_EFORMAT, "saved state: %zu bytes left unread",
                    s->len - s->pos);
  return GL_OK;
}

/* The file: "GLSTATE1", the string's length (8 bytes), its bytes, their
 * CRC-32 (4 bytes). */
static const char magic[8] = "GLSTATE1";

gl_status gl_state_write(const gl_state *s, const char *path) {
  gl_afile a;
  GL_TRY(gl_afile_open(&a, path));
  uint64_t len = s->len;
  uint32_t crc = (uint32_t)crc32(0, Z_NULL, 0);
  for (size_t off = 0; off < s->len;) { /* crc32 takes uInt lengths */
    size_t k = s->len - off < (1u << 30) ? s->len - off : (1u << 30);
    crc = (uint32_t)crc32(crc, s->buf + off, (uInt)k);
    off += k;
  }
  fwrite(magic, 1, sizeof magic, a.f);
  fwrite(&len, sizeof len, 1, a.f);
  if (s->len) fwrite(s->buf, 1, s->len, a.f);
  fwrite(&crc, sizeof crc, 1, a.f);
  return gl_afile_commit(&a);
}

gl_status gl_state_read(gl_state *s, const char *path, char **data) {
  size_t size;
  *data = NULL;
  GL_TRY(gl_read_file(path, data, &size));
  const unsigned char *d = (const unsigned char *)*data;
  uint64_t len = 0;
  uint32_t crc = 0;
  if (size >= sizeof magic + 12) {
    memcpy(&len, d + sizeof magic, sizeof len);
    memcpy(&crc, d + size - 4, 4);
  }
  gl_status st = GL_OK;
  if (size < sizeof magic + 12 || memcmp(d, magic, sizeof magic))
    st = gl_error(GL_EFORMAT, "%s: not a glearn state file", path);
  else if (len != size - sizeof magic - 12)
    st = gl_error(GL_EFORMAT, "%s: truncated or garbled (holds %zu bytes "
                  "of state, says %llu)", path, size - sizeof magic - 12,
                  (unsigned long long)len);
  if (st == GL_OK) {
    uint32_t c = (uint32_t)crc32(0, Z_NULL, 0);
    const unsigned char *b = d + sizeof magic + 8;
    for (size_t off = 0; off < len;) {
      size_t k = len - off < (1u << 30) ? len - off : (1u << 30);
      c = (uint32_t)crc32(c, b + off, (uInt)k);
      off += k;
    }
    if (c != crc)
      st = gl_error(GL_EFORMAT, "%s: garbled (its checksum does not match)",
                    path);
    else
      gl_state_load_init(s, b, (size_t)len);
  }
  if (st != GL_OK) {
    free(*data);
    *data = NULL;
  }
  return st;
}

/*
 * Shared memory for weft-proxy's worker processes: one memfd-backed region that the primary creates
 * and hands to each worker as an inherited file descriptor, mapped MAP_SHARED in every process and
 * exposed to JavaScript as an ArrayBuffer. JavaScript updates it with Atomics only (process-wide
 * circuit-breaker counts, as Envoy's workers share one ResourceManager through atomics).
 * Plain Node-API C; create(bytes) -> { fd, buffer }, open(fd) -> buffer.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void unmap(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)hint);
}

static napi_value throw_errno(napi_env env, const char *what) {
  char message[160];
  snprintf(message, sizeof(message), "%s failed: %s", what, strerror(errno));
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* Maps `fd` (whose size is `bytes`) shared and wraps it; the mapping lives until the buffer is collected. */
static napi_value wrap(napi_env env, int fd, size_t bytes) {
  void *data = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) return throw_errno(env, "mmap");
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, data, bytes, unmap, (void *)bytes, &buffer) != napi_ok) {
    munmap(data, bytes);
    napi_throw_error(env, NULL, "could not wrap the shared mapping in an ArrayBuffer");
    return NULL;
  }
  return buffer;
}

static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int64(env, argv[0], &bytes) != napi_ok || bytes <= 0 || bytes > (1LL << 30)) {
    napi_throw_type_error(env, NULL, "create(bytes): bytes must be within (0, 1 GiB]");
    return NULL;
  }
  /* Close-on-exec: a child gets the region only through the descriptor its spawner hands it. */
  int fd = memfd_create("weft-proxy-shared", MFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, "memfd_create");
  if (ftruncate(fd, (off_t)bytes) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return throw_errno(env, "ftruncate");
  }
  napi_value buffer = wrap(env, fd, (size_t)bytes);
  if (buffer == NULL) {
    close(fd);
    return NULL;
  }
  napi_value result, fd_value;
  napi_create_object(env, &result);
  napi_create_int32(env, fd, &fd_value);
  napi_set_named_property(env, result, "fd", fd_value);
  napi_set_named_property(env, result, "buffer", buffer);
  return result;
}

static napi_value open_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "open(fd): fd must be a non-negative integer");
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) return throw_errno(env, "fstat");
  if (st.st_size <= 0) {
    napi_throw_error(env, NULL, "open(fd): the shared region is empty");
    return NULL;
  }
  napi_value buffer = wrap(env, fd, (size_t)st.st_size);
  /* The mapping holds the region; the descriptor is no longer needed. */
  if (buffer != NULL) close(fd);
  return buffer;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "create", NAPI_AUTO_LENGTH, create, NULL, &fn);
  napi_set_named_property(env, exports, "create", fn);
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, open_fd, NULL, &fn);
  napi_set_named_property(env, exports, "open", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

//===- Model.cpp - Loading compiled models and running sessions -----------===//

#include "xfrt/ModelABI.h"
#include "xfrt/ThreadPool.h"
#include "xfrt/xfrt.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <memory>
#include <new>
#include <string>
#include <vector>

struct xfrt_model {
  void *library = nullptr;
  // The mapped .xfc.weights section: `mapping` is page aligned, `weights`
  // points at the section inside it.
  void *mapping = nullptr;
  size_t mappingBytes = 0;
  const uint8_t *weights = nullptr;
  const XfmModelInfo *info = nullptr;
  int (*forward)(const XfmForwardArgs *) = nullptr;
  int64_t vocab = 0, context = 0, layers = 0, kvHeads = 0;
  int64_t kvRowBytes = 0; // one position of one KV head, as stored
};

struct xfrt_session {
  xfrt_model *model = nullptr;
  int64_t context = 0; // the session's limit, at most the model's
  std::vector<uint8_t> caches; // as the model lays them out (ModelABI.h)
  std::vector<uint8_t> arena;
  std::vector<int32_t> positions;
  int64_t position = 0;
  std::string error;
  std::unique_ptr<xfrt::ThreadPool> pool;
};

namespace {

/// The integer after "key=" in the model's metadata lines, or -1.
int64_t metadataInt(const char *metadata, const char *key) {
  std::string needle = std::string(key) + "=";
  for (const char *line = metadata; line && *line;) {
    if (std::strncmp(line, needle.c_str(), needle.size()) == 0)
      return std::atoll(line + needle.size());
    line = std::strchr(line, '\n');
    line = line ? line + 1 : nullptr;
  }
  return -1;
}

xfrt_status failLoad(char *error, size_t size, xfrt_status status,
                     const std::string &message) {
  if (error && size)
    std::snprintf(error, size, "%s", message.c_str());
  return status;
}

/// Maps the ".xfc.weights" section of the ELF file at `path` read-only.
/// Returns an empty string on success, else why not.
std::string mapWeights(const char *path, uint64_t expectedBytes,
                       xfrt_model &m) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return "cannot open";
  struct stat st;
  std::string why;
  Elf64_Ehdr eh;
  if (fstat(fd, &st) != 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum) {
    close(fd);
    return "not a 64-bit ELF file";
  }
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  size_t tableBytes = sections.size() * sizeof(Elf64_Shdr);
  if (pread(fd, sections.data(), tableBytes, eh.e_shoff) !=
      static_cast<ssize_t>(tableBytes)) {
    close(fd);
    return "truncated section headers";
  }
  const Elf64_Shdr &names = sections[eh.e_shstrndx];
  std::vector<char> strings(names.sh_size + 1, 0);
  if (pread(fd, strings.data(), names.sh_size, names.sh_offset) !=
      static_cast<ssize_t>(names.sh_size)) {
    close(fd);
    return "truncated section names";
  }
  for (const Elf64_Shdr &section : sections) {
    if (section.sh_name >= names.sh_size ||
        std::strcmp(&strings[section.sh_name], ".xfc.weights") != 0)
      continue;
    if (section.sh_size != expectedBytes ||
        section.sh_offset + section.sh_size >
            static_cast<uint64_t>(st.st_size)) {
      why = "the weight section has " + std::to_string(section.sh_size) +
            " bytes, the model expects " + std::to_string(expectedBytes);
      break;
    }
    long page = sysconf(_SC_PAGESIZE);
    uint64_t start = section.sh_offset / page * page;
    m.mappingBytes = section.sh_offset + section.sh_size - start;
    m.mapping = mmap(nullptr, m.mappingBytes, PROT_READ, MAP_PRIVATE, fd,
                     static_cast<off_t>(start));
    if (m.mapping == MAP_FAILED) {
      m.mapping = nullptr;
      why = "cannot map the weights";
      break;
    }
    m.weights = static_cast<const uint8_t *>(m.mapping) +
                (section.sh_offset - start);
    close(fd);
    return "";
  }
  close(fd);
  return why.empty() ? "no .xfc.weights section" : why;
}

/// Maps a whole sidecar weights file read-only.
std::string mapSidecar(const char *path, uint64_t expectedBytes,
                       xfrt_model &m) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::string("cannot open the weights file ") + path;
  struct stat st;
  if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != expectedBytes) {
    close(fd);
    return std::string(path) + " has " + std::to_string(st.st_size) +
           " bytes, the model expects " + std::to_string(expectedBytes);
  }
  m.mappingBytes = expectedBytes;
  m.mapping = mmap(nullptr, expectedBytes, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (m.mapping == MAP_FAILED) {
    m.mapping = nullptr;
    return std::string("cannot map ") + path;
  }
  m.weights = static_cast<const uint8_t *>(m.mapping);
  return "";
}

/// Moves the mapped weights into anonymous memory backed by 2 MiB pages,
/// unless XFRT_WEIGHTS=map: decode streams every weight once per token, and
/// with 4 KiB file pages the hardware prefetchers stop at every page (1.1B
/// Q8_0 decode: 23.5 -> 25.6 tok/s). Keeps the mapping if memory is short.
void moveWeightsToHugePages(xfrt_model &m, uint64_t bytes) {
  const char *mode = getenv("XFRT_WEIGHTS");
  if (mode && std::strcmp(mode, "map") == 0)
    return;
  const size_t huge = size_t(2) << 20;
  size_t size = (bytes + huge - 1) / huge * huge + huge;
  void *region = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED)
    return;
  auto address = reinterpret_cast<uintptr_t>(region);
  auto *aligned = reinterpret_cast<uint8_t *>((address + huge - 1) / huge * huge);
  madvise(aligned, size - (aligned - static_cast<uint8_t *>(region)),
          MADV_HUGEPAGE);
  std::memcpy(aligned, m.weights, bytes);
  mprotect(region, size, PROT_READ);
  munmap(m.mapping, m.mappingBytes);
  m.mapping = region;
  m.mappingBytes = size;
  m.weights = aligned;
}

/// Runs one forward call, growing the arena when it was too small (the
/// call still completes, from the heap).
int forward(xfrt_session *s, const int32_t *tokens, int64_t n, float *logits) {
  uint64_t needed = 0;
  XfmForwardArgs args = {tokens,
                         s->positions.data(),
                         n,
                         s->position,
                         s->caches.data(),
                         s->model->weights,
                         logits,
                         s->arena.data(),
                         s->arena.size(),
                         &needed,
                         xfrt_pool_parallel_for,
                         s->pool.get(),
                         s->pool->threads()};
  int rc = s->model->forward(&args);
  if (rc == XFM_ARENA_TOO_SMALL)
    s->arena.resize(needed);
  return rc;
}

} // namespace

extern "C" {

xfrt_status xfrt_model_load(const char *path, xfrt_model **model, char *error,
                            size_t errorSize) {
  *model = nullptr;
  if (!path)
    return failLoad(error, errorSize, XFRT_ERROR_INVALID_ARGUMENT,
                    "no model path");
  // A model with oneDNN GEMMs (xfc compile --kernels=onednn) loads libgomp,
  // which reads this when it starts. Its default, spinning threads between
  // oneDNN calls, takes the cores from the session's pool: on 2 cores that
  // halved prefill and decode. No effect when set, or once libgomp runs.
  setenv("OMP_WAIT_POLICY", "passive", /*overwrite=*/0);
  // RTLD_LOCAL: several models may be loaded side by side.
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return failLoad(error, errorSize, XFRT_ERROR_IO,
                    std::string(path) + ": cannot load: " + dlerror());
  auto getInfo = reinterpret_cast<const XfmModelInfo *(*)()>(
      dlsym(library, "xfm_get_model_info"));
  auto fwd = reinterpret_cast<int (*)(const XfmForwardArgs *)>(
      dlsym(library, "xfm_forward"));
  if (!getInfo || !fwd) {
    dlclose(library);
    return failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                    std::string(path) + ": not an XFC model (no xfm_* entry "
                                        "points)");
  }
  const XfmModelInfo *info = getInfo();
  if (!xfrt_abi_compatible(info->abi_version)) {
    std::string message = std::string(path) + ": built by xfc " +
                          info->compiler_version + " for model ABI " +
                          std::to_string(info->abi_version) +
                          ", but this runtime reads ABI " +
                          std::to_string(XFRT_ABI_VERSION) + "; recompile it";
    dlclose(library);
    return failLoad(error, errorSize, XFRT_ERROR_ABI, message);
  }
  auto *m = new (std::nothrow) xfrt_model();
  if (!m) {
    dlclose(library);
    return XFRT_ERROR_OUT_OF_MEMORY;
  }
  m->library = library;
  m->info = info;
  m->forward = fwd;
  m->vocab = metadataInt(info->metadata, "vocab_size");
  m->context = metadataInt(info->metadata, "max_context");
  m->layers = metadataInt(info->metadata, "layers");
  m->kvHeads = metadataInt(info->metadata, "kv_heads");
  m->kvRowBytes = metadataInt(info->metadata, "kv_row_bytes");
  if (m->vocab <= 0 || m->context <= 0 || m->layers <= 0 || m->kvHeads <= 0 ||
      m->kvRowBytes <= 0) {
    xfrt_model_free(m);
    return failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                    std::string(path) + ": incomplete model metadata");
  }
  std::string why = mapWeights(path, info->weights_bytes, *m);
  // Compiled with --weight-storage=sidecar: the blob is <path>.weights.
  if (!why.empty() && std::strstr(info->metadata, "weights=sidecar"))
    why = mapSidecar((std::string(path) + ".weights").c_str(),
                     info->weights_bytes, *m);
  if (!why.empty()) {
    xfrt_model_free(m);
    return failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                    std::string(path) + ": " + why);
  }
  moveWeightsToHugePages(*m, info->weights_bytes);
  *model = m;
  return XFRT_OK;
}

void xfrt_model_free(xfrt_model *model) {
  if (!model)
    return;
  if (model->mapping)
    munmap(model->mapping, model->mappingBytes);
  dlclose(model->library);
  delete model;
}

const char *xfrt_model_metadata(const xfrt_model *model) {
  return model->info->metadata;
}
int64_t xfrt_model_vocab_size(const xfrt_model *model) { return model->vocab; }
int64_t xfrt_model_max_context(const xfrt_model *model) {
  return model->context;
}
const uint8_t *xfrt_model_tokenizer(const xfrt_model *model, uint64_t *size) {
  *size = model->info->tokenizer_bytes;
  return model->info->tokenizer;
}

xfrt_status xfrt_session_create(xfrt_model *model, int64_t maxContext,
                                int threads, xfrt_session **session) {
  *session = nullptr;
  if (maxContext < 0 || maxContext > model->context || threads < 0)
    return XFRT_ERROR_INVALID_ARGUMENT;
  auto *s = new (std::nothrow) xfrt_session();
  if (!s)
    return XFRT_ERROR_OUT_OF_MEMORY;
  try {
    s->model = model;
    s->context = maxContext ? maxContext : model->context;
    s->pool = std::make_unique<xfrt::ThreadPool>(threads);
    // The compiled code addresses the cache with the model's context as
    // stride, so the buffer spans it whatever the session's limit.
    s->caches.assign(static_cast<size_t>(model->layers) * 2 * model->context *
                         model->kvHeads * model->kvRowBytes,
                     0);
    s->positions.reserve(model->context);
    // Size the arena for the largest decode step: one token attending to
    // the whole context. Later decode steps then never allocate.
    std::vector<float> logits(model->vocab);
    int32_t token = 0;
    s->position = model->context - 1;
    s->positions.assign(1, static_cast<int32_t>(s->position));
    if (forward(s, &token, 1, logits.data()) != XFM_OK)
      forward(s, &token, 1, logits.data());
    s->position = 0;
  } catch (const std::bad_alloc &) {
    delete s;
    return XFRT_ERROR_OUT_OF_MEMORY;
  }
  *session = s;
  return XFRT_OK;
}

void xfrt_session_free(xfrt_session *session) { delete session; }

int xfrt_session_threads(const xfrt_session *session) {
  return session->pool->threads();
}

xfrt_status xfrt_session_eval(xfrt_session *s, const int32_t *tokens,
                              int64_t n, float *logits) {
  xfrt_model *m = s->model;
  if (!tokens || !logits || n <= 0) {
    s->error = "eval needs at least one token and a logits buffer";
    return XFRT_ERROR_INVALID_ARGUMENT;
  }
  if (n > s->context - s->position) {
    s->error = "cannot add " + std::to_string(n) + " tokens at position " +
               std::to_string(s->position) + ": the context holds " +
               std::to_string(s->context);
    return XFRT_ERROR_CONTEXT_FULL;
  }
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= m->vocab) {
      s->error = "token " + std::to_string(tokens[i]) + " at index " +
                 std::to_string(i) + " is outside the vocabulary of " +
                 std::to_string(m->vocab);
      return XFRT_ERROR_INVALID_TOKEN;
    }
  // The capacity was reserved for the whole context: no reallocation.
  s->positions.resize(n);
  for (int64_t i = 0; i < n; ++i)
    s->positions[i] = static_cast<int32_t>(s->position + i);
  try {
    forward(s, tokens, n, logits);
  } catch (const std::bad_alloc &) {
    s->error = "out of memory growing the scratch arena";
    return XFRT_ERROR_OUT_OF_MEMORY;
  }
  s->position += n;
  return XFRT_OK;
}

int64_t xfrt_session_position(const xfrt_session *s) { return s->position; }

xfrt_status xfrt_session_trim(xfrt_session *s, int64_t n) {
  if (n < 0 || n > s->position) {
    s->error = "cannot keep " + std::to_string(n) + " of " +
               std::to_string(s->position) + " cached tokens";
    return XFRT_ERROR_INVALID_ARGUMENT;
  }
  s->position = n; // later tokens are overwritten, never read
  return XFRT_OK;
}

const char *xfrt_session_error(const xfrt_session *s) {
  return s->error.c_str();
}

} // extern "C"

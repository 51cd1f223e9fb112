//===- Model.cpp - Loading compiled models and running sessions -----------===//

#include "ModelImpl.h"
#include "Numa.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <memory>
#include <new>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

xfrt_status xfrt::failLoad(char *error, size_t size, xfrt_status status,
                           const std::string &message) {
  if (error && size)
    std::snprintf(error, size, "%s", message.c_str());
  return status;
}

/// The value of the metadata line `key=value` ("" when there is none).
std::string xfrt::metadataString(const char *metadata, const char *key) {
  std::string needle = std::string(key) + "=";
  for (const char *line = metadata; line && *line;) {
    const char *end = std::strchr(line, '\n');
    if (std::strncmp(line, needle.c_str(), needle.size()) == 0)
      return std::string(line + needle.size(),
                         end ? end : line + std::strlen(line));
    line = end ? end + 1 : nullptr;
  }
  return "";
}

namespace {

/// The integer after "key=" in the model's metadata lines, or -1.
int64_t metadataInt(const char *metadata, const char *key) {
  std::string value = xfrt::metadataString(metadata, key);
  return value.empty() ? -1 : std::atoll(value.c_str());
}

/// An optional multi-row entry point: its symbol `entry` into `fn`, and the
/// row count the metadata's `key` names, which the code's `rowsSymbol` must
/// repeat. 0 for a model without it; -1 when the code disagrees.
template <typename Fn>
int64_t readRowsEntry(void *library, const char *metadata, const char *entry,
                      const char *rowsSymbol, const char *key, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(library, entry));
  auto *rows = reinterpret_cast<const int64_t *>(dlsym(library, rowsSymbol));
  int64_t named = metadataInt(metadata, key);
  if (named <= 0)
    return !rows || *rows == 0 ? 0 : -1;
  return fn && rows && *rows == named ? named : -1;
}

/// The SPEED stages the metadata names, checked against the code; true
/// for a model without stages.
bool readStages(void *library, const char *metadata, xfrt_model &m) {
  int64_t named = readRowsEntry(library, metadata, "xfm_speed_stage",
                                "xfm_speed_rows", "speed_rows", m.stage);
  if (named <= 0)
    return named == 0;
  m.speedRows = named;
  // layer_cycle=N,G
  std::string cycle = xfrt::metadataString(metadata, "layer_cycle");
  size_t comma = cycle.find(',');
  m.cycleLayers = std::atoll(cycle.c_str());
  m.cycleGroups =
      comma == std::string::npos ? -1 : std::atoll(cycle.c_str() + comma + 1);
  m.hiddenDim = metadataInt(metadata, "hidden_dim");
  m.stageBytes =
      std::max<int64_t>(metadataInt(metadata, "speed_stage_bytes"), 0);
  m.layerBytes =
      std::max<int64_t>(metadataInt(metadata, "speed_layer_bytes"), 0);
  return named <= XFM_MAX_STAGE_ROWS && m.cycleLayers > 0 &&
         m.cycleGroups > 1 && m.cycleLayers * m.cycleGroups == m.layers &&
         m.hiddenDim > 0 && m.shards == 1;
}

/// The batch decode entry points the metadata names, checked against the
/// code; true for a model without them.
bool readBatch(void *library, const char *metadata, xfrt_model &m) {
  int64_t named = readRowsEntry(library, metadata, "xfm_decode_batch",
                                "xfm_batch_rows", "batch_rows", m.decodeBatch);
  if (named <= 0)
    return named == 0;
  m.batchRows = named;
  return named <= XFM_MAX_BATCH_ROWS && m.shards == 1;
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

/// The `shard_weights=b0-e0,b1-e1,...` ranges of a split model's metadata,
/// which must follow each other inside the blob; false if they do not.
bool parseShardWeights(const char *metadata, int32_t shards, uint64_t blobBytes,
                       xfrt_model &m) {
  const char *line = std::strstr(metadata, "shard_weights=");
  if (!line)
    return false;
  line += std::strlen("shard_weights=");
  uint64_t previous = 0;
  for (int32_t k = 0; k < shards; ++k) {
    char *end = nullptr;
    uint64_t begin = std::strtoull(line, &end, 10);
    if (*end != '-')
      return false;
    uint64_t stop = std::strtoull(end + 1, &end, 10);
    if (begin < previous || stop < begin || stop > blobBytes ||
        (k + 1 < shards && *end != ','))
      return false;
    m.shardWeights.emplace_back(begin, stop);
    previous = stop;
    line = end + 1;
  }
  return true;
}

} // namespace

uint64_t xfrt::shardWeightBytes(const xfrt_model &m, int shard) {
  if (m.shards == 1)
    return m.info->weights_bytes;
  auto [begin, end] = m.shardWeights[shard];
  return m.shardWeights.front().first + (end - begin);
}

void xfrt::placeWeights(xfrt_model &m, const std::vector<int> &shards,
                        const std::vector<int> &nodes) {
  const char *mode = getenv("XFRT_WEIGHTS");
  if (mode && std::strcmp(mode, "map") == 0)
    return;
  std::lock_guard<std::mutex> lock(m.placing);
  // Without a region for all of them, every shard keeps reading the file.
  if (m.placementFailed)
    return;
  // Nothing new (a later session of shards already placed, or of a model
  // that is not split, placed at load): leave the region as it is.
  bool pending = !m.replicatedPlaced;
  for (int k : shards)
    pending = pending || (m.shards > 1 && !m.shardPlaced[k]);
  if (!pending)
    return;
  uint64_t bytes = m.info->weights_bytes;
  // Decode streams every weight once per token, and with 4 KiB file pages
  // the hardware prefetchers stop at every page (1.1B Q8_0 decode: 23.5 ->
  // 25.6 tok/s), hence 2 MiB pages.
  const size_t huge = size_t(2) << 20;
  if (!m.region) {
    size_t size = (bytes + huge - 1) / huge * huge + huge;
    void *region = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) {
      m.placementFailed = true; // keep reading the file mapping
      return;
    }
    auto address = reinterpret_cast<uintptr_t>(region);
    m.region = region;
    m.regionBytes = size;
    m.placed = reinterpret_cast<uint8_t *>((address + huge - 1) / huge * huge);
    madvise(m.placed, size - (m.placed - static_cast<uint8_t *>(region)),
            MADV_HUGEPAGE);
  } else {
    mprotect(m.region, m.regionBytes, PROT_READ | PROT_WRITE);
  }
  // Copies a range, first bound to `node`, or spread over `nodes` (-1).
  auto place = [&](uint64_t begin, uint64_t end, int node) {
    if (end <= begin)
      return;
    std::vector<int> spread;
    for (int n : nodes)
      if (n >= 0 && std::find(spread.begin(), spread.end(), n) == spread.end())
        spread.push_back(n);
    if (node >= 0)
      numa::bind(m.placed + begin, end - begin, node);
    else if (spread.size() > 1)
      numa::interleave(m.placed + begin, end - begin, spread);
    else if (spread.size() == 1)
      numa::bind(m.placed + begin, end - begin, spread.front());
    // In pieces, each dropped from the file mapping once copied: the
    // process never holds a weight twice (a rank's peak memory is its
    // share of the weights, not twice that).
    const uint64_t piece = uint64_t(64) << 20;
    auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    for (uint64_t at = begin; at < end; at += piece) {
      uint64_t stop = std::min(end, at + piece);
      std::memcpy(m.placed + at, m.fileWeights + at, stop - at);
      auto first =
          (reinterpret_cast<uintptr_t>(m.fileWeights + at) + page - 1) / page *
          page;
      auto last =
          reinterpret_cast<uintptr_t>(m.fileWeights + stop) / page * page;
      if (last > first)
        madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
    }
  };
  uint64_t replicatedEnd = m.shards == 1 ? bytes : m.shardWeights[0].first;
  if (!m.replicatedPlaced)
    place(0, replicatedEnd, -1);
  m.replicatedPlaced = true;
  for (size_t i = 0; i < shards.size() && m.shards > 1; ++i) {
    int k = shards[i];
    if (m.shardPlaced[k])
      continue;
    place(m.shardWeights[k].first, m.shardWeights[k].second, nodes[i]);
    m.shardPlaced[k] = true;
  }
  mprotect(m.region, m.regionBytes, PROT_READ);
  // Set once, by the first session, before any forward call reads it.
  if (m.weights != m.placed)
    m.weights = m.placed;
}

xfrt_status xfrt::openCompiled(const char *path, void *&library,
                               const XfmModelInfo *&info, std::string &error) {
  // A model with oneDNN GEMMs (xfc compile --kernels=onednn) loads libgomp,
  // which reads this when it starts. Its default, spinning threads between
  // oneDNN calls, takes the cores from the session's pool: on 2 cores that
  // halved prefill and decode. No effect when set, or once libgomp runs.
  setenv("OMP_WAIT_POLICY", "passive", /*overwrite=*/0);
  // RTLD_LOCAL: several models may be loaded side by side.
  library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    error = std::string(path) + ": cannot load: " + dlerror();
    return XFRT_ERROR_IO;
  }
  auto getInfo = reinterpret_cast<const XfmModelInfo *(*)()>(
      dlsym(library, "xfm_get_model_info"));
  if (!getInfo) {
    dlclose(library);
    error = std::string(path) + ": not an XFC model (no xfm_* entry points)";
    return XFRT_ERROR_NOT_A_MODEL;
  }
  info = getInfo();
  if (!xfrt_abi_compatible(info->abi_version)) {
    error = std::string(path) + ": built by xfc " + info->compiler_version +
            " for model ABI " + std::to_string(info->abi_version) +
            ", but this runtime reads ABI " + std::to_string(XFRT_ABI_VERSION) +
            "; recompile it";
    dlclose(library);
    return XFRT_ERROR_ABI;
  }
  return XFRT_OK;
}

extern "C" {

xfrt_status xfrt_model_load(const char *path, xfrt_model **model, char *error,
                            size_t errorSize) {
  *model = nullptr;
  if (!path)
    return xfrt::failLoad(error, errorSize, XFRT_ERROR_INVALID_ARGUMENT,
                          "no model path");
  void *library = nullptr;
  const XfmModelInfo *info = nullptr;
  std::string message;
  if (xfrt_status status = xfrt::openCompiled(path, library, info, message))
    return xfrt::failLoad(error, errorSize, status, message);
  if (xfrt::metadataString(info->metadata, "kind") == "graph") {
    dlclose(library);
    return xfrt::failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                          std::string(path) +
                              ": a compiled graph (kind=graph), not a language "
                              "model: run it with xfrt_graph_load");
  }
  auto fwd = reinterpret_cast<int (*)(const XfmForwardArgs *)>(
      dlsym(library, "xfm_forward"));
  if (!fwd) {
    dlclose(library);
    return xfrt::failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                          std::string(path) +
                              ": not an XFC model (no xfm_forward)");
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
  // Models that are not split may leave it out.
  int64_t shards = std::max<int64_t>(metadataInt(info->metadata, "shards"), 1);
  if (m->vocab <= 0 || m->context <= 0 || m->layers <= 0 || m->kvHeads <= 0 ||
      m->kvRowBytes <= 0 || shards <= 0 || shards > 1024) {
    xfrt_model_free(m);
    return xfrt::failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                          std::string(path) + ": incomplete model metadata");
  }
  m->shards = static_cast<int32_t>(shards);
  // The entry points the code has must be the shards the metadata names.
  auto *entries =
      reinterpret_cast<const int64_t *>(dlsym(library, "xfm_shards"));
  if (!entries || *entries != shards) {
    // The message reads the library: before it is closed.
    std::string message = std::string(path) + ": the metadata names " +
                          std::to_string(shards) + " shards, the code has " +
                          (entries ? std::to_string(*entries) : "none");
    xfrt_model_free(m);
    return xfrt::failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL, message);
  }
  if (shards > 1 &&
      !parseShardWeights(info->metadata, m->shards, info->weights_bytes, *m)) {
    xfrt_model_free(m);
    return xfrt::failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                          std::string(path) + ": a split model (" +
                              std::to_string(shards) +
                              " shards) without valid shard_weights ranges");
  }
  if (!readStages(library, info->metadata, *m)) {
    xfrt_model_free(m);
    return xfrt::failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                          std::string(path) +
                              ": its SPEED stages (speed_rows, layer_cycle, "
                              "hidden_dim) do not match its code or layers");
  }
  if (!readBatch(library, info->metadata, *m)) {
    xfrt_model_free(m);
    return xfrt::failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                          std::string(path) +
                              ": its batch decode entry points (batch_rows) "
                              "do not match its code");
  }
  m->shardPlaced.assign(m->shards, false);
  std::string why = mapWeights(path, info->weights_bytes, *m);
  // Compiled with --weight-storage=sidecar: the blob is <path>.weights.
  if (!why.empty() && std::strstr(info->metadata, "weights=sidecar"))
    why = mapSidecar((std::string(path) + ".weights").c_str(),
                     info->weights_bytes, *m);
  if (!why.empty()) {
    xfrt_model_free(m);
    return xfrt::failLoad(error, errorSize, XFRT_ERROR_NOT_A_MODEL,
                          std::string(path) + ": " + why);
  }
  m->fileWeights = m->weights;
  // A model that is not split is placed now; a split one when a session
  // says which shards run where.
  if (m->shards == 1)
    xfrt::placeWeights(*m, {0}, {-1});
  *model = m;
  return XFRT_OK;
}

void xfrt_model_free(xfrt_model *model) {
  if (!model)
    return;
  if (model->mapping)
    munmap(model->mapping, model->mappingBytes);
  if (model->region)
    munmap(model->region, model->regionBytes);
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

int32_t xfrt_model_shards(const xfrt_model *model) { return model->shards; }

} // extern "C"

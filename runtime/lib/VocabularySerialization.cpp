//===- VocabularySerialization.cpp - Vocabulary <-> bytes -----------------===//
//
// Little-endian: "XFVB", u32 version, u8 kind, u8 preTokenizer, u8 flags,
// i32 bos/eos/unk/pad, then tokens, scores, types and merges, each as a u64
// count followed by the elements (strings as u32 length + bytes); version 2
// adds the chat template, a string, at the end.
//
//===----------------------------------------------------------------------===//

#include "xfrt/Tokenizer.h"

#include <cstring>

using namespace xfrt;

namespace {

constexpr uint32_t kVersion = 2;

struct Out {
  std::string bytes;
  template <typename T> void put(T v) {
    bytes.append(reinterpret_cast<const char *>(&v), sizeof(T));
  }
  void str(const std::string &s) {
    put<uint32_t>(static_cast<uint32_t>(s.size()));
    bytes += s;
  }
};

struct In {
  const uint8_t *p, *end;
  bool ok = true;
  template <typename T> T get() {
    T v{};
    if (static_cast<size_t>(end - p) < sizeof(T)) {
      ok = false;
      return v;
    }
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return v;
  }
  std::string str() {
    uint32_t n = get<uint32_t>();
    if (!ok || static_cast<size_t>(end - p) < n) {
      ok = false;
      return {};
    }
    std::string s(reinterpret_cast<const char *>(p), n);
    p += n;
    return s;
  }
  /// A count no larger than the bytes left could hold (at least `min` each).
  uint64_t count(size_t min) {
    uint64_t n = get<uint64_t>();
    if (ok && n > static_cast<uint64_t>(end - p) / min)
      ok = false;
    return ok ? n : 0;
  }
};

} // namespace

std::string xfrt::serializeVocabulary(const Vocabulary &v) {
  Out o;
  o.bytes = "XFVB";
  o.put<uint32_t>(kVersion);
  o.put<uint8_t>(static_cast<uint8_t>(v.kind));
  o.put<uint8_t>(static_cast<uint8_t>(v.preTokenizer));
  o.put<uint8_t>((v.addBos ? 1 : 0) | (v.addSpacePrefix ? 2 : 0) |
                 (v.ignoreMerges ? 4 : 0));
  for (int32_t id : {v.bos, v.eos, v.unk, v.pad})
    o.put<int32_t>(id);
  o.put<uint64_t>(v.tokens.size());
  for (const std::string &t : v.tokens)
    o.str(t);
  o.put<uint64_t>(v.scores.size());
  for (float s : v.scores)
    o.put<float>(s);
  o.put<uint64_t>(v.types.size());
  for (TokenType t : v.types)
    o.put<int32_t>(static_cast<int32_t>(t));
  o.put<uint64_t>(v.merges.size());
  for (const std::string &m : v.merges)
    o.str(m);
  o.str(v.chatTemplate);
  return o.bytes;
}

bool xfrt::deserializeVocabulary(const uint8_t *data, size_t size,
                                 Vocabulary &v, std::string &error) {
  In in{data, data + size};
  if (size < 8 || std::memcmp(data, "XFVB", 4) != 0) {
    error = "not a serialized vocabulary";
    return false;
  }
  in.p += 4;
  uint32_t version = in.get<uint32_t>();
  // Version 1 (no chat template) is still read: models compiled before.
  if (version != kVersion && version != 1) {
    error = "vocabulary format version " + std::to_string(version) +
            " (this runtime reads " + std::to_string(kVersion) + ")";
    return false;
  }
  v = Vocabulary();
  v.kind = static_cast<TokenizerKind>(in.get<uint8_t>());
  v.preTokenizer = static_cast<PreTokenizerKind>(in.get<uint8_t>());
  uint8_t flags = in.get<uint8_t>();
  v.addBos = flags & 1, v.addSpacePrefix = flags & 2, v.ignoreMerges = flags & 4;
  v.bos = in.get<int32_t>(), v.eos = in.get<int32_t>();
  v.unk = in.get<int32_t>(), v.pad = in.get<int32_t>();
  v.tokens.resize(in.count(4));
  for (std::string &t : v.tokens)
    t = in.str();
  v.scores.resize(in.count(4));
  for (float &s : v.scores)
    s = in.get<float>();
  v.types.resize(in.count(4));
  for (TokenType &t : v.types)
    t = static_cast<TokenType>(in.get<int32_t>());
  v.merges.resize(in.count(4));
  for (std::string &m : v.merges)
    m = in.str();
  if (version >= 2)
    v.chatTemplate = in.str();
  if (!in.ok || in.p != in.end) {
    error = "truncated or corrupt vocabulary data";
    return false;
  }
  return true;
}

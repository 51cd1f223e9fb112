//===- MappedFile.h - A model file mapped read-only ------------*- C++ -*-===//
//
// Model files are mapped, not read: weights are used in place, and pages
// the compiler never touches are never read.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_FRONTENDS_MAPPEDFILE_H
#define XFC_FRONTENDS_MAPPEDFILE_H

#include <cstdint>
#include <memory>
#include <string>

namespace xfc {

class MappedFile {
public:
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  /// Maps the regular file `path` read-only. On failure returns null and
  /// sets `error` to a message that starts with the path.
  static std::unique_ptr<MappedFile> open(const std::string &path,
                                          std::string &error);

  const uint8_t *data() const { return base; }
  uint64_t size() const { return bytes; }

private:
  MappedFile() = default;
  const uint8_t *base = nullptr;
  uint64_t bytes = 0;
};

/// The bytes a model-file reader parses, and the name its errors give them:
/// a file the reader mapped, or a buffer its caller owns. The GGUF and
/// safetensors readers derive from it.
class MappedInput {
public:
  /// The file's path, or the name given with a buffer.
  const std::string &path() const { return name; }

protected:
  /// Maps `path` as the input. On failure returns false and sets `error`.
  bool map(const std::string &path, std::string &error);
  /// Takes the caller's `data`, which must outlive the reader, as the input.
  void borrow(const uint8_t *data, uint64_t bytes, std::string bufferName);

  std::string name;
  std::unique_ptr<MappedFile> mapping; // null for a borrowed buffer
  const uint8_t *base = nullptr;
  uint64_t size = 0;
};

} // namespace xfc

#endif // XFC_FRONTENDS_MAPPEDFILE_H

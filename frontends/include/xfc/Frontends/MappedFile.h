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

} // namespace xfc

#endif // XFC_FRONTENDS_MAPPEDFILE_H

//===- MappedFile.cpp - A model file mapped read-only ---------------------===//

#include "xfc/Frontends/MappedFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace xfc;

MappedFile::~MappedFile() {
  if (base)
    munmap(const_cast<uint8_t *>(base), bytes);
}

std::unique_ptr<MappedFile> MappedFile::open(const std::string &path,
                                             std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return nullptr;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    ::close(fd);
    return nullptr;
  }
  std::unique_ptr<MappedFile> file(new MappedFile());
  file->bytes = static_cast<uint64_t>(st.st_size);
  if (file->bytes > 0) {
    void *p = mmap(nullptr, file->bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      error = path + ": cannot map: " + std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
    file->base = static_cast<const uint8_t *>(p);
  }
  ::close(fd);
  return file;
}

bool MappedInput::map(const std::string &path, std::string &error) {
  mapping = MappedFile::open(path, error);
  if (!mapping)
    return false;
  name = path;
  base = mapping->data();
  size = mapping->size();
  return true;
}

void MappedInput::borrow(const uint8_t *data, uint64_t bytes,
                         std::string bufferName) {
  name = std::move(bufferName);
  base = data;
  size = bytes;
}

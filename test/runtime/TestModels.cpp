//===- TestModels.cpp - Compiled models shared by runtime test processes --===//

#include "TestModels.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

/// Modification time in nanoseconds, or -1 if `path` is missing.
long long modified(const std::string &path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return -1;
  return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL +
         st.st_mtim.tv_nsec;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Whether `dir` holds the result of `script` built after every input.
bool upToDate(const std::string &dir, const std::string &script) {
  std::string stamp = dir + "/.script";
  long long built = modified(stamp);
  if (built < 0 || readFile(stamp) != script)
    return false;
  // What `xfc compile` links into a model: the stub, and the oneDNN glue
  // ("" without oneDNN).
  for (const char *input : {XFC_BIN, XFC_MODEL_STUB, XFC_ONEDNN_ARCHIVE})
    if (modified(input) > built)
      return false;
  return true;
}

int run(const std::string &command) { return std::system(command.c_str()); }

} // namespace

std::string xfc::test::sharedModelDir(const std::string &name,
                                      const std::string &script) {
  std::string root = XFC_TEST_MODEL_CACHE, dir = root + "/" + name;
  if (run("mkdir -p " + root) != 0)
    return "";
  int lock = open((dir + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) {
    std::perror(("cannot lock " + dir).c_str());
    return "";
  }
  std::string result = dir;
  if (!upToDate(dir, script)) {
    // Built aside and moved in whole: a failed build leaves nothing.
    std::string fresh = dir + ".building";
    bool built = run("rm -rf " + fresh + " && mkdir -p " + fresh) == 0;
    if (built) {
      std::ofstream file(fresh + "/.script", std::ios::binary);
      file << script;
      built = static_cast<bool>(file);
    }
    built = built &&
            run("cd " + fresh + " && XFC=" XFC_BIN " sh -e .script") == 0 &&
            run("rm -rf " + dir + " && mv " + fresh + " " + dir) == 0;
    if (!built) {
      std::fprintf(stderr, "cannot build the test models of %s:\n%s\n",
                   name.c_str(), script.c_str());
      result.clear();
    }
  }
  close(lock); // releases the lock
  return result;
}

xfrt_model *xfc::test::loadModel(const std::string &path) {
  xfrt_model *model = nullptr;
  char error[256] = "";
  if (xfrt_model_load(path.c_str(), &model, error, sizeof(error)) != XFRT_OK)
    ADD_FAILURE() << "cannot load " << path << ": " << error;
  return model;
}

std::string xfc::test::scratchDir(const std::string &name) {
  std::string pattern = std::string(P_tmpdir) + "/xfc-" + name + "-" + "XXXXXX";
  if (!mkdtemp(pattern.data()))
    return "";
  static std::string removed;
  removed += " " + pattern;
  static bool registered = false;
  if (!registered) {
    registered = true;
    std::atexit([] { std::system(("rm -rf" + removed).c_str()); });
  }
  return pattern;
}

//===- MpiWorld.cpp - xfc run as one MPI rank of a split model ------------===//

#include "MpiWorld.h"

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#if XFC_HAVE_MPI
// The C API only: Open MPI's C++ bindings need a library of their own.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

using namespace xfc::driver;

namespace {

/// The world size mpirun (Open MPI, or MPICH's PMI) gave this process, 0
/// when it was not started by mpirun.
int launchedSize() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char *value = std::getenv(name))
      return std::atoi(value);
  return 0;
}

#if XFC_HAVE_MPI
char stopMessage[128];

/// mpirun stops the surviving ranks with SIGTERM when one dies: say so.
void onTerminate(int) {
  ssize_t written = write(STDERR_FILENO, stopMessage, std::strlen(stopMessage));
  (void)written;
  _exit(1);
}

int allReduce(void *, float *data, int64_t count) {
  // MPI counts are int: sum longer vectors in pieces.
  for (int64_t offset = 0; offset < count; offset += INT_MAX) {
    int n = static_cast<int>(std::min<int64_t>(INT_MAX, count - offset));
    if (MPI_Allreduce(MPI_IN_PLACE, data + offset, n, MPI_FLOAT, MPI_SUM,
                      MPI_COMM_WORLD) != MPI_SUCCESS)
      return 1;
  }
  return 0;
}
#endif

} // namespace

std::unique_ptr<MpiWorld> MpiWorld::join(std::string &error) {
  int size = launchedSize();
  if (size <= 1)
    return nullptr;
#if XFC_HAVE_MPI
  std::unique_ptr<MpiWorld> world(new MpiWorld());
  // The session's threads never call MPI: only the main thread does.
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) !=
      MPI_SUCCESS) {
    error = "MPI_Init_thread failed";
    return nullptr;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &world->rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &world->size_);
  std::snprintf(stopMessage, sizeof(stopMessage),
                "xfc run: rank %d: stopped by mpirun (another rank failed "
                "or was killed)\n",
                world->rank_);
  std::signal(SIGTERM, onTerminate);
  return world;
#else
  error = "started by mpirun with " + std::to_string(size) +
          " ranks, but this xfc was built without MPI (install "
          "libopenmpi-dev and rebuild)";
  return nullptr;
#endif
}

MpiWorld::~MpiWorld() {
#if XFC_HAVE_MPI
  MPI_Finalize();
#endif
}

xfrt_collective MpiWorld::collective() const {
  xfrt_collective c{};
  c.shard = rank_;
#if XFC_HAVE_MPI
  c.all_reduce = allReduce;
#endif
  return c;
}

void MpiWorld::broadcast(int32_t &token) const {
#if XFC_HAVE_MPI
  MPI_Bcast(&token, 1, MPI_INT32_T, 0, MPI_COMM_WORLD);
#else
  (void)token;
#endif
}

void MpiWorld::abort(const std::string &message) const {
  std::fprintf(stderr, "xfc run: rank %d: error: %s\n", rank_, message.c_str());
  std::fflush(stderr);
#if XFC_HAVE_MPI
  MPI_Abort(MPI_COMM_WORLD, 1);
#endif
  std::exit(1);
}

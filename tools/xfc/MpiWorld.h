//===- MpiWorld.h - xfc run as one MPI rank of a split model ----*- C++ -*-===//
//
// Under `mpirun -np N xfc run model.so`, each rank runs one shard of a model
// compiled with --sockets N. The shards' partial sums meet in
// MPI_Allreduce; rank 0 alone samples, broadcasts each token and prints.
// A rank that fails calls MPI_Abort, and mpirun stops the others.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_TOOLS_XFC_MPIWORLD_H
#define XFC_TOOLS_XFC_MPIWORLD_H

#include "xfrt/xfrt.h"

#include <cstdint>
#include <memory>
#include <string>

namespace xfc::driver {

class MpiWorld {
public:
  /// The world when this process was started by mpirun with more than one
  /// rank (MPI is initialized here), else null. Sets `error` when started
  /// by mpirun but this xfc cannot take part (built without MPI).
  static std::unique_ptr<MpiWorld> join(std::string &error);
  ~MpiWorld(); // MPI_Finalize

  int rank() const { return rank_; }
  int size() const { return size_; }
  /// This rank's shard, summing with MPI_Allreduce.
  xfrt_collective collective() const;
  /// Rank 0's `token` on every rank.
  void broadcast(int32_t &token) const;
  /// Prints `message` naming this rank and stops every rank (MPI_Abort).
  [[noreturn]] void abort(const std::string &message) const;

private:
  MpiWorld() = default;
  int rank_ = 0, size_ = 1;
};

} // namespace xfc::driver

#endif // XFC_TOOLS_XFC_MPIWORLD_H

//===- OpenAIServer.h - OpenAI-compatible endpoints -------------*- C++ -*-===//
//
// The HTTP face of a Scheduler: /v1/completions and /v1/chat/completions
// (streamed as server-sent events or not), /v1/models and /health, on a
// cpp-httplib server. Every failure is an OpenAI error object with a 4xx
// or 5xx status; a full queue is 503.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_SERVE_OPENAISERVER_H
#define XFC_SERVE_OPENAISERVER_H

#include "xfc/Serve/OpenAIProtocol.h"
#include "xfrt/ChatTemplate.h"
#include "xfrt/Scheduler.h"
#include "xfrt/Tokenizer.h"

#include <atomic>
#include <cstdint>
#include <string>

namespace httplib {
class DataSink;
class Server;
class Response;
} // namespace httplib

namespace xfc::serve {

struct ServerConfig {
  std::string modelId; // what /v1/models lists
  xfrt::ChatFormat chatFormat = xfrt::ChatFormat::ChatML;
  size_t maxBodyBytes = 1 << 20; // larger bodies get 413
  /// When set, /v1/ requests must send "Authorization: Bearer <apiKey>"
  /// (401 otherwise); /health stays open for probes.
  std::string apiKey;
};

class OpenAIServer {
public:
  OpenAIServer(xfrt::Scheduler &scheduler, const xfrt::Tokenizer &tokenizer,
               ServerConfig config);

  /// Registers the endpoints and error handlers on `server`.
  void install(httplib::Server &server);
  /// /health answers 503 from now on (requests are refused by the
  /// scheduler once it shuts down).
  void beginShutdown() { shuttingDown = true; }

private:
  struct Job;
  void complete(const std::string &body, Endpoint endpoint,
                httplib::Response &res);
  /// The prompt's ids and the request for the scheduler; false and `error`
  /// on a problem.
  bool prepare(const CompletionParams &params, xfrt::GenerationRequest &out,
               ApiError &error) const;
  void respondWhole(Job &job, httplib::Response &res);
  void respondStream(std::shared_ptr<Job> job, httplib::Response &res);
  /// Writes a job's server-sent events; false when the client has left.
  static bool streamEvents(Job &job, httplib::DataSink &sink);

  xfrt::Scheduler &scheduler;
  const xfrt::Tokenizer &tokenizer;
  ServerConfig config;
  int32_t endOfTurnToken = -1;
  std::string endOfTurnText;
  std::atomic<bool> shuttingDown{false};
  std::atomic<uint64_t> requestCount{0};
};

} // namespace xfc::serve

#endif // XFC_SERVE_OPENAISERVER_H

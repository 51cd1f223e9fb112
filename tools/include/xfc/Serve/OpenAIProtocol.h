//===- OpenAIProtocol.h - OpenAI API requests and errors --------*- C++ -*-===//
//
// The request side of the OpenAI completions and chat completions API as
// `xfc serve` accepts it: JSON bodies checked field by field, each problem
// reported as an OpenAI error object naming the field. Unknown fields are
// ignored, as clients send many optional ones.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_SERVE_OPENAIPROTOCOL_H
#define XFC_SERVE_OPENAIPROTOCOL_H

#include "xfrt/ChatTemplate.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xfc::serve {

/// An error response: HTTP status and the OpenAI error object's fields.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param; // the field at fault; empty for none
  std::string code;  // e.g. "context_length_exceeded"; empty for none
};

/// {"error": {"message", "type", "param", "code"}}.
std::string errorBody(const ApiError &error);

enum class Endpoint { Completions, ChatCompletions };

struct CompletionParams {
  Endpoint endpoint = Endpoint::Completions;
  /// Completions: the prompt as text, or as token ids.
  std::string prompt;
  std::vector<int32_t> promptIds;
  /// Chat completions.
  std::vector<xfrt::ChatMessage> messages;
  /// Absent: 16 for completions, the rest of the context for chat.
  std::optional<int64_t> maxTokens;
  float temperature = 1.0f; // 0..2; 0 is greedy
  float topP = 1.0f;        // (0, 1]
  std::optional<uint64_t> seed;
  std::vector<std::string> stop; // at most 4
  bool stream = false;
  bool includeUsage = false; // stream_options.include_usage
  /// Completions' logprobs (0..5), or chat's top_logprobs (0..20) when its
  /// logprobs is true; -1 when not asked for.
  int32_t logprobs = -1;
  /// return_tokens (llama-server's extension): each choice also lists the
  /// generated token ids, as "tokens".
  bool returnTokens = false;
  /// ignore_eos (llama-server's extension): generate max_tokens tokens
  /// even past the end-of-sequence token, as benchmarks need.
  bool ignoreEos = false;
};

/// Parses and checks a request body; on a problem returns nullopt and
/// sets `error` (status 400).
std::optional<CompletionParams> parseCompletionRequest(std::string_view body,
                                                       Endpoint endpoint,
                                                       ApiError &error);

} // namespace xfc::serve

#endif // XFC_SERVE_OPENAIPROTOCOL_H

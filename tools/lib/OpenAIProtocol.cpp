//===- OpenAIProtocol.cpp - OpenAI API requests and errors ----------------===//

#include "xfc/Serve/OpenAIProtocol.h"

#include <nlohmann/json.hpp>

#include <limits>

using namespace xfc::serve;
using json = nlohmann::json;

std::string xfc::serve::errorBody(const ApiError &e) {
  json error = {{"message", e.message},
                {"type", e.type},
                {"param", e.param.empty() ? json() : json(e.param)},
                {"code", e.code.empty() ? json() : json(e.code)}};
  return json{{"error", error}}.dump(-1, ' ', false,
                                     json::error_handler_t::replace);
}

namespace {

/// Stop strings are matched against every generated token's text.
constexpr size_t kMaxStopBytes = 1024;

/// Reads one request's fields, keeping the first problem.
class FieldReader {
public:
  FieldReader(const json &body, ApiError &error) : body(body), error(error) {}

  bool failed() const { return !error.message.empty(); }

  bool fail(const std::string &field, const std::string &problem) {
    if (!failed()) {
      error.status = 400;
      error.param = field;
      error.message = "'" + field + "' " + problem;
    }
    return false;
  }

  /// The field, or null when absent or JSON null (both mean "default").
  const json *find(const char *field) const {
    auto it = body.find(field);
    return it == body.end() || it->is_null() ? nullptr : &*it;
  }

  void number(const char *field, float low, float high, float &out) {
    const json *v = find(field);
    if (!v)
      return;
    if (!v->is_number()) {
      fail(field, "must be a number");
      return;
    }
    double d = v->get<double>();
    if (!(d >= low && d <= high)) {
      fail(field, "must be between " + json(low).dump() + " and " +
                      json(high).dump() + ", got " + v->dump());
      return;
    }
    out = static_cast<float>(d);
  }

  /// An integer in [low, high]; nullopt when absent.
  std::optional<int64_t> integer(const char *field, int64_t low, int64_t high) {
    const json *v = find(field);
    if (!v)
      return std::nullopt;
    if (!v->is_number_integer()) {
      fail(field, "must be an integer");
      return std::nullopt;
    }
    // Unsigned values above INT64_MAX are out of every range here.
    if (v->is_number_unsigned() &&
        v->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
      fail(field, "is too large");
      return std::nullopt;
    }
    int64_t i = v->get<int64_t>();
    if (i < low || i > high) {
      fail(field, "must be between " + std::to_string(low) + " and " +
                      std::to_string(high) + ", got " + std::to_string(i));
      return std::nullopt;
    }
    return i;
  }

  void boolean(const char *field, bool &out) {
    const json *v = find(field);
    if (!v)
      return;
    if (!v->is_boolean()) {
      fail(field, "must be a boolean");
      return;
    }
    out = v->get<bool>();
  }

  void stopStrings(std::vector<std::string> &out) {
    const json *v = find("stop");
    if (!v)
      return;
    if (!v->is_string() && (!v->is_array() || v->size() > 4)) {
      fail("stop", "must be a string or an array of at most 4 strings");
      return;
    }
    for (const json &s : v->is_string() ? json::array({*v}) : *v) {
      if (!s.is_string()) {
        fail("stop", "must hold only strings");
        return;
      }
      out.push_back(s.get<std::string>());
    }
    for (const std::string &s : out)
      if (s.size() > kMaxStopBytes) {
        fail("stop", "strings must be at most " +
                         std::to_string(kMaxStopBytes) + " bytes");
        return;
      }
  }

  /// Completions: a string, an array of one string, or token ids.
  void prompt(CompletionParams &p) {
    const json *v = find("prompt");
    if (!v) {
      fail("prompt", "is required");
      return;
    }
    if (v->is_string()) {
      p.prompt = v->get<std::string>();
      return;
    }
    if (v->is_array() && v->size() == 1 && (*v)[0].is_string()) {
      p.prompt = (*v)[0].get<std::string>();
      return;
    }
    if (v->is_array() && !v->empty() && (*v)[0].is_number_integer()) {
      for (const json &id : *v) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
            id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
          fail("prompt", "token ids must be non-negative integers");
          return;
        }
        p.promptIds.push_back(static_cast<int32_t>(id.get<int64_t>()));
      }
      return;
    }
    fail("prompt", "must be a string, an array of one string or an array of "
                   "token ids (one prompt per request)");
  }

  /// Chat: [{role, content}], content a string or text parts.
  void messages(CompletionParams &p) {
    const json *v = find("messages");
    if (!v || !v->is_array() || v->empty()) {
      fail("messages", "must be a non-empty array of messages");
      return;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      const json &m = (*v)[i];
      std::string at = "messages[" + std::to_string(i) + "]";
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
        fail(at + ".role", "must be a string");
        return;
      }
      xfrt::ChatMessage message;
      message.role = m["role"].get<std::string>();
      if (!xfrt::isChatRole(message.role)) {
        fail(at + ".role",
             "must be system, user or assistant, got '" + message.role + "'");
        return;
      }
      if (!content(m.contains("content") ? m["content"] : json(), at,
                   message.content))
        return;
      p.messages.push_back(std::move(message));
    }
  }

private:
  bool content(const json &c, const std::string &at, std::string &out) {
    if (c.is_string()) {
      out = c.get<std::string>();
      return true;
    }
    if (!c.is_array())
      return fail(at + ".content", "must be a string or an array of parts");
    for (const json &part : c) {
      if (!part.is_object() || part.value("type", json()) != "text" ||
          !part.contains("text") || !part["text"].is_string())
        return fail(at + ".content",
                    "parts must be {\"type\": \"text\", \"text\": string} "
                    "(this model reads text only)");
      out += part["text"].get<std::string>();
    }
    return true;
  }

  const json &body;
  ApiError &error;
};

} // namespace

std::optional<CompletionParams>
xfc::serve::parseCompletionRequest(std::string_view text, Endpoint endpoint,
                                   ApiError &error) {
  error = ApiError();
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    error.message = "the request body is not valid JSON";
    return std::nullopt;
  }
  if (!body.is_object()) {
    error.message = "the request body must be a JSON object";
    return std::nullopt;
  }
  CompletionParams p;
  p.endpoint = endpoint;
  FieldReader r(body, error);
  bool chat = endpoint == Endpoint::ChatCompletions;
  if (const json *model = r.find("model"); model && !model->is_string())
    r.fail("model", "must be a string");
  if (chat)
    r.messages(p);
  else
    r.prompt(p);
  // Chat's newer name for max_tokens.
  const char *maxField = chat && r.find("max_completion_tokens")
                             ? "max_completion_tokens"
                             : "max_tokens";
  p.maxTokens = r.integer(maxField, 1, std::numeric_limits<int64_t>::max());
  r.number("temperature", 0.0f, 2.0f, p.temperature);
  r.number("top_p", 0.0f, 1.0f, p.topP);
  if (r.find("top_p") && p.topP == 0.0f)
    r.fail("top_p", "must be greater than 0");
  if (std::optional<int64_t> seed =
          r.integer("seed", std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()))
    p.seed = static_cast<uint64_t>(*seed);
  if (std::optional<int64_t> n = r.integer("n", 1, 1000); n && *n != 1)
    r.fail("n", "must be 1: one choice per request");
  r.stopStrings(p.stop);
  r.boolean("stream", p.stream);
  r.boolean("return_tokens", p.returnTokens);
  r.boolean("ignore_eos", p.ignoreEos);
  if (const json *options = r.find("stream_options")) {
    if (!options->is_object())
      r.fail("stream_options", "must be an object");
    else if (auto usage = options->find("include_usage");
             usage != options->end() && !usage->is_null()) {
      if (!usage->is_boolean())
        r.fail("stream_options.include_usage", "must be a boolean");
      else
        p.includeUsage = usage->get<bool>();
    }
  }
  if (chat) {
    bool logprobs = false;
    r.boolean("logprobs", logprobs);
    std::optional<int64_t> top = r.integer("top_logprobs", 0, 20);
    if (top && !logprobs)
      r.fail("top_logprobs", "needs 'logprobs': true");
    if (logprobs)
      p.logprobs = static_cast<int32_t>(top.value_or(0));
  } else if (std::optional<int64_t> top = r.integer("logprobs", 0, 5)) {
    p.logprobs = static_cast<int32_t>(*top);
  }
  if (!chat) {
    bool echo = false;
    r.boolean("echo", echo);
    if (echo)
      r.fail("echo", "is not supported");
  }
  if (r.failed())
    return std::nullopt;
  return p;
}

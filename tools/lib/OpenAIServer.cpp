//===- OpenAIServer.cpp - OpenAI-compatible endpoints ---------------------===//

#include "xfc/Serve/OpenAIServer.h"
#include "xfrt/TextStream.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdint>
#include <ctime>
#include <deque>
#include <random>

using namespace xfc::serve;
using json = nlohmann::json;

namespace {

std::string dump(const json &j) {
  // Generated text may hold invalid UTF-8 (a token cut in the middle of a
  // character at max_tokens): replace it rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Whether `authorization` is "Bearer <key>" (the scheme in any case); the
/// key is compared in constant time.
bool validKey(const std::string &authorization, const std::string &key) {
  const std::string scheme = "bearer ";
  if (authorization.size() != scheme.size() + key.size())
    return false;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i])
      return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < key.size(); ++i)
    diff |=
        static_cast<unsigned char>(authorization[scheme.size() + i] ^ key[i]);
  return diff == 0;
}

/// The scheduler's counters in Prometheus' text format.
std::string prometheusMetrics(const xfrt::SchedulerStats &s, int32_t slots) {
  std::string out;
  auto metric =
      [&](const char *name, const char *type, const char *help,
          std::initializer_list<std::pair<const char *, int64_t>> samples) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name +
               " " + type + "\n";
        for (auto [labels, value] : samples)
          out +=
              std::string(name) + labels + " " + std::to_string(value) + "\n";
      };
  metric("xfc_requests_total", "counter",
         "Requests that ended: at a stop or their length, cancelled (the "
         "client left, or shutdown), or on a model error.",
         {{"{result=\"completed\"}", s.completed},
          {"{result=\"cancelled\"}", s.cancelled},
          {"{result=\"failed\"}", s.failed}});
  metric("xfc_requests_running", "gauge", "Requests holding a KV-cache slot.",
         {{"", s.running}});
  metric("xfc_requests_queued", "gauge", "Requests waiting for a slot.",
         {{"", s.queued}});
  metric("xfc_slots", "gauge", "KV-cache slots (--parallel).", {{"", slots}});
  metric("xfc_prompt_tokens_total", "counter",
         "Prompt tokens: prefilled, or served by the prefix cache.",
         {{"{source=\"prefill\"}", s.promptTokens},
          {"{source=\"cache\"}", s.cachedPromptTokens}});
  metric("xfc_generated_tokens_total", "counter", "Tokens generated.",
         {{"", s.generatedTokens}});
  metric("xfc_decode_steps_total", "counter", "Batched decode calls.",
         {{"", s.decodeSteps}});
  metric("xfc_decode_rows_total", "counter",
         "Sequences advanced by batched decode calls.", {{"", s.decodeRows}});
  return out;
}

void sendError(httplib::Response &res, const ApiError &error) {
  res.status = error.status;
  res.set_content(errorBody(error), "application/json");
}

ApiError serverError(int status, std::string message, std::string type) {
  ApiError e;
  e.status = status;
  e.message = std::move(message);
  e.type = std::move(type);
  return e;
}

/// The generated tokens' ids and log-probabilities, each released with
/// its text: a token is listed once the first byte of its text is sent
/// (or at the end), so the tokens of a stop string, whose text never is,
/// are never listed. Log-probabilities take the completions format
/// (tokens, token_logprobs, top_logprobs, text_offset) or the chat one
/// (content).
class TokenLog {
public:
  TokenLog(const xfrt::Tokenizer &tokenizer, bool chat, bool logprobs)
      : tokenizer(tokenizer), chat(chat), logprobs(logprobs) {}

  /// A token whose text starts at byte `textOffset` of the generated text.
  void add(const xfrt::GeneratedToken &t, size_t textOffset) {
    pending.push_back({t, textOffset});
  }

  /// Releases the tokens whose text starts before byte `sent`.
  void release(size_t sent) {
    while (!pending.empty() && pending.front().offset < sent) {
      const Pending &p = pending.front();
      ids.push_back(p.token.token);
      if (logprobs)
        addLogprobs(p.token, p.offset);
      pending.pop_front();
    }
  }

  bool hasReleased() const { return !ids.empty(); }

  /// The ids released since the last takeIds().
  json takeIds() {
    json out = ids;
    ids.clear();
    return out;
  }

  /// The logprobs object of the tokens released since the last take().
  json takeLogprobs() {
    json out = chat ? json{{"content", content}}
                    : json{{"tokens", tokens},
                           {"token_logprobs", tokenLogprobs},
                           {"top_logprobs", topLogprobs},
                           {"text_offset", offsets}};
    content = tokens = tokenLogprobs = topLogprobs = offsets = json::array();
    return out;
  }

private:
  void addLogprobs(const xfrt::GeneratedToken &t, size_t textOffset) {
    if (chat) {
      json top = json::array();
      for (auto [id, lp] : t.top)
        top.push_back(entry(id, lp));
      json e = entry(t.token, t.logprob);
      e["top_logprobs"] = top;
      content.push_back(e);
      return;
    }
    json top = json::object();
    for (auto [id, lp] : t.top)
      top[text(id)] = lp;
    tokens.push_back(text(t.token));
    tokenLogprobs.push_back(t.logprob);
    topLogprobs.push_back(top);
    offsets.push_back(textOffset);
  }

  /// As generated text: a SentencePiece piece keeps its leading space.
  std::string text(int32_t id) const {
    std::string s, error;
    tokenizer.decode({id}, s, error, /*continuation=*/true);
    return s;
  }
  json entry(int32_t id, float logprob) const {
    std::string s = text(id);
    return {{"token", s},
            {"logprob", logprob},
            {"bytes", std::vector<uint8_t>(s.begin(), s.end())}};
  }

  struct Pending {
    xfrt::GeneratedToken token;
    size_t offset;
  };
  const xfrt::Tokenizer &tokenizer;
  bool chat, logprobs;
  std::deque<Pending> pending;
  std::vector<int32_t> ids;
  json content = json::array(), tokens = json::array(),
       tokenLogprobs = json::array(), topLogprobs = json::array(),
       offsets = json::array();
};

} // namespace

/// One accepted request: its generation and the text streamed from it.
struct OpenAIServer::Job {
  Job(const xfrt::Tokenizer &tokenizer, CompletionParams p)
      : params(std::move(p)), text(tokenizer, params.stop),
        log(tokenizer, params.endpoint == Endpoint::ChatCompletions,
            params.logprobs >= 0) {}
  CompletionParams params;
  std::shared_ptr<xfrt::Generation> generation;
  xfrt::TextStream text;
  TokenLog log; // for return_tokens and logprobs
  std::string id, model;
  int64_t created = 0, completionTokens = 0;

  bool chat() const { return params.endpoint == Endpoint::ChatCompletions; }

  enum class Step { Token, Waiting, End };

  /// Waits up to `wait` for the next token; its text (maybe empty, as text
  /// may be held back) in `delta`. At the end, `delta` is the rest.
  Step next(std::string &delta,
            std::chrono::milliseconds wait = std::chrono::milliseconds::max()) {
    delta.clear();
    if (text.stopped())
      return Step::End;
    xfrt::GeneratedToken t;
    bool timedOut = false;
    if (!generation->next(t, wait, timedOut)) {
      if (timedOut)
        return Step::Waiting;
      delta = text.finish();
      log.release(SIZE_MAX); // the end: every token, text or none
      return Step::End;
    }
    ++completionTokens;
    if (params.logprobs >= 0 || params.returnTokens)
      log.add(t, text.length());
    delta = text.push(t.token);
    log.release(text.text().size());
    // A stop string ends the request here; its slot is freed at once.
    if (text.stopped())
      generation->stop();
    return Step::Token;
  }

  /// "stop", "length", or empty when the generation did not end normally.
  std::string finishReason() const {
    if (text.stopped())
      return "stop";
    switch (generation->finishReason()) {
    case xfrt::FinishReason::Stop:
      return "stop";
    case xfrt::FinishReason::Length:
      return "length";
    default:
      return "";
    }
  }

  /// Why the generation failed, for a finish reason that is empty.
  ApiError failure() const {
    if (generation->finishReason() == xfrt::FinishReason::Error)
      return serverError(500, "generation failed: " + generation->error(),
                         "server_error");
    return serverError(503,
                       "the request was cancelled: " +
                           (generation->error().empty()
                                ? std::string("the server is shutting down")
                                : generation->error()),
                       "unavailable_error");
  }

  json usage() const {
    int64_t prompt = generation->promptTokens();
    // OpenAI's field for the prompt tokens a cache served.
    return {{"prompt_tokens", prompt},
            {"completion_tokens", completionTokens},
            {"total_tokens", prompt + completionTokens},
            {"prompt_tokens_details",
             {{"cached_tokens", generation->cachedTokens()}}}};
  }

  /// The tokens released since the last chunk: ids, logprobs.
  void takeTokens(json &choice) {
    json ids = log.takeIds();
    if (params.returnTokens)
      choice["tokens"] = ids;
    choice["logprobs"] = params.logprobs >= 0 ? log.takeLogprobs() : json();
  }

  json chunk(const std::string &delta, const json &finish, bool first) {
    json choice = {{"index", 0}, {"finish_reason", finish}};
    if (chat()) {
      json d = json::object();
      if (first)
        d["role"] = "assistant";
      d["content"] = delta;
      choice["delta"] = d;
    } else {
      choice["text"] = delta;
    }
    takeTokens(choice);
    return {{"id", id},
            {"object", chat() ? "chat.completion.chunk" : "text_completion"},
            {"created", created},
            {"model", model},
            {"choices", json::array({choice})}};
  }
};

OpenAIServer::OpenAIServer(xfrt::Scheduler &scheduler,
                           const xfrt::Tokenizer &tokenizer,
                           ServerConfig config)
    : scheduler(scheduler), tokenizer(tokenizer), config(std::move(config)) {
  const xfrt::Vocabulary &v = tokenizer.vocabulary();
  std::string eos = v.eos >= 0 ? v.tokens[v.eos] : std::string();
  endOfTurnText = xfrt::endOfTurn(this->config.chatFormat, eos);
  // The end of a turn is one special token in vocabularies made for the
  // template; elsewhere it is matched as text.
  std::vector<int32_t> ids = tokenizer.encode(endOfTurnText, false, true);
  if (ids.size() == 1 &&
      tokenizer.tokenType(ids[0]) == xfrt::TokenType::Control)
    endOfTurnToken = ids[0];
}

bool OpenAIServer::prepare(const CompletionParams &p,
                           xfrt::GenerationRequest &out,
                           ApiError &error) const {
  const xfrt::Vocabulary &v = tokenizer.vocabulary();
  bool chat = p.endpoint == Endpoint::ChatCompletions;
  if (chat) {
    std::string eos = v.eos >= 0 ? v.tokens[v.eos] : std::string();
    std::string prompt = xfrt::renderChat(config.chatFormat, p.messages, eos);
    out.prompt = tokenizer.encode(prompt, /*addBos=*/true,
                                  /*parseSpecial=*/true);
    if (endOfTurnToken >= 0)
      out.stopTokens.push_back(endOfTurnToken);
  } else if (!p.promptIds.empty()) {
    out.prompt = p.promptIds;
  } else {
    // As `xfc run -p` tokenizes: special-token text stays text.
    out.prompt = tokenizer.encode(p.prompt, /*addBos=*/true,
                                  /*parseSpecial=*/false);
  }
  if (out.prompt.empty()) {
    error.param = chat ? "messages" : "prompt";
    error.message = "the prompt is empty";
    return false;
  }
  int64_t n = static_cast<int64_t>(out.prompt.size());
  int64_t context = scheduler.maxContext();
  if (n >= context) {
    error.param = chat ? "messages" : "prompt";
    error.code = "context_length_exceeded";
    error.message = "the prompt is " + std::to_string(n) +
                    " tokens; this model's context is " +
                    std::to_string(context) + " tokens";
    return false;
  }
  out.maxTokens = p.maxTokens.value_or(
      chat ? context - n : std::min<int64_t>(16, context - n));
  if (out.maxTokens > context - n) {
    error.param = "max_tokens";
    error.code = "context_length_exceeded";
    error.message = "the prompt (" + std::to_string(n) + " tokens) and " +
                    std::to_string(out.maxTokens) +
                    " tokens to generate exceed this model's context of " +
                    std::to_string(context) + " tokens";
    return false;
  }
  if (v.eos >= 0 && !p.ignoreEos)
    out.stopTokens.push_back(v.eos);
  out.sampling.temperature = p.temperature;
  out.sampling.topK = 0; // the API has no top-k
  out.sampling.topP = p.topP;
  out.sampling.seed = p.seed ? *p.seed : std::random_device{}();
  out.topLogprobs = p.logprobs;
  return true;
}

void OpenAIServer::complete(const std::string &body, Endpoint endpoint,
                            httplib::Response &res) {
  ApiError error;
  std::optional<CompletionParams> params =
      parseCompletionRequest(body, endpoint, error);
  if (!params)
    return sendError(res, error);
  if (endpoint == Endpoint::ChatCompletions && !endOfTurnText.empty())
    params->stop.push_back(endOfTurnText);
  xfrt::GenerationRequest request;
  if (!prepare(*params, request, error))
    return sendError(res, error);
  auto job = std::make_shared<Job>(tokenizer, std::move(*params));
  xfrt::Scheduler::Admission admission;
  std::string why;
  job->generation = scheduler.submit(std::move(request), admission, why);
  switch (admission) {
  case xfrt::Scheduler::Admission::Accepted:
    break;
  case xfrt::Scheduler::Admission::Invalid:
    error.message = why;
    return sendError(res, error);
  case xfrt::Scheduler::Admission::QueueFull:
  case xfrt::Scheduler::Admission::ShuttingDown:
    res.set_header("Retry-After", "1");
    return sendError(res, serverError(503, why, "unavailable_error"));
  }
  uint64_t n = ++requestCount;
  char id[32];
  std::snprintf(id, sizeof(id), "%s-%llx", job->chat() ? "chatcmpl" : "cmpl",
                static_cast<unsigned long long>(n));
  job->id = id;
  job->model = config.modelId;
  job->created = static_cast<int64_t>(std::time(nullptr));
  if (job->params.stream)
    respondStream(job, res);
  else
    respondWhole(*job, res);
}

void OpenAIServer::respondWhole(Job &job, httplib::Response &res) {
  std::string text, delta;
  while (job.next(delta) == Job::Step::Token)
    text += delta;
  text += delta; // what was held back
  std::string finish = job.finishReason();
  if (finish.empty())
    return sendError(res, job.failure());
  json choice = {{"index", 0}, {"finish_reason", finish}};
  job.takeTokens(choice);
  if (job.chat())
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  else
    choice["text"] = text;
  json out = {{"id", job.id},
              {"object", job.chat() ? "chat.completion" : "text_completion"},
              {"created", job.created},
              {"model", job.model},
              {"choices", json::array({choice})},
              {"usage", job.usage()}};
  res.set_content(dump(out), "application/json");
}

bool OpenAIServer::streamEvents(Job &job, httplib::DataSink &sink) {
  auto send = [&](const json &event) {
    std::string line = "data: " + dump(event) + "\n\n";
    return sink.write(line.data(), line.size());
  };
  bool first = true;
  std::string delta;
  for (;;) {
    // While nothing comes (queued, or text held back), a comment line now
    // and then finds out whether the client is still there.
    Job::Step step = job.next(delta, std::chrono::milliseconds(1000));
    if (step == Job::Step::Waiting) {
      static const char ping[] = ": waiting\n\n";
      if (!sink.write(ping, sizeof(ping) - 1))
        return false;
      continue;
    }
    bool more = step == Job::Step::Token;
    // Chat's first chunk carries the role even before any text.
    // Tokens (return_tokens, logprobs) go out with their text.
    if (!delta.empty() || first || job.log.hasReleased()) {
      if (!send(job.chunk(delta, json(), first)))
        return false; // the client left: the releaser cancels
      first = false;
    }
    if (!more)
      break;
  }
  std::string finish = job.finishReason();
  if (finish.empty()) {
    if (!send(json::parse(errorBody(job.failure()))))
      return false;
  } else {
    json last = job.chunk("", finish, false);
    if (job.chat())
      last["choices"][0]["delta"] = json::object();
    if (!send(last))
      return false;
    // As OpenAI sends it: a last chunk with no choices.
    if (job.params.includeUsage) {
      json usage = job.chunk("", json(), false);
      usage["choices"] = json::array();
      usage["usage"] = job.usage();
      if (!send(usage))
        return false;
    }
  }
  static const char done[] = "data: [DONE]\n\n";
  sink.write(done, sizeof(done) - 1);
  sink.done();
  return true;
}

void OpenAIServer::respondStream(std::shared_ptr<Job> job,
                                 httplib::Response &res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [job](size_t, httplib::DataSink &sink) {
        // An exception here would escape cpp-httplib: end the stream.
        try {
          return streamEvents(*job, sink);
        } catch (const std::exception &) {
          return false;
        }
      },
      [job](bool success) {
        if (!success)
          job->generation->cancel();
      });
}

void OpenAIServer::install(httplib::Server &server) {
  server.set_payload_max_length(config.maxBodyBytes);
  if (!config.apiKey.empty())
    server.set_pre_routing_handler(
        [this](const httplib::Request &req, httplib::Response &res) {
          if (req.path.rfind("/v1/", 0) != 0 ||
              validKey(req.get_header_value("Authorization"), config.apiKey))
            return httplib::Server::HandlerResponse::Unhandled;
          res.set_header("WWW-Authenticate", "Bearer");
          ApiError e;
          e.status = 401;
          e.message = "a valid API key is required (Authorization: Bearer KEY)";
          e.code = "invalid_api_key";
          sendError(res, e);
          return httplib::Server::HandlerResponse::Handled;
        });
  server.Post("/v1/completions",
              [this](const httplib::Request &req, httplib::Response &res) {
                complete(req.body, Endpoint::Completions, res);
              });
  server.Post("/v1/chat/completions",
              [this](const httplib::Request &req, httplib::Response &res) {
                complete(req.body, Endpoint::ChatCompletions, res);
              });
  server.Get("/v1/models",
             [this](const httplib::Request &, httplib::Response &res) {
               json model = {{"id", config.modelId},
                             {"object", "model"},
                             {"created", 0},
                             {"owned_by", "xfc"},
                             {"context_length", scheduler.maxContext()}};
               res.set_content(dump({{"object", "list"}, {"data", {model}}}),
                               "application/json");
             });
  server.Get("/health",
             [this](const httplib::Request &, httplib::Response &res) {
               xfrt::SchedulerStats s = scheduler.stats();
               json body = {{"status", shuttingDown ? "shutting down" : "ok"},
                            {"slots", scheduler.slots()},
                            {"running", s.running},
                            {"queued", s.queued},
                            {"completed", s.completed},
                            {"cancelled", s.cancelled},
                            {"failed", s.failed},
                            {"prompt_tokens", s.promptTokens},
                            {"cached_prompt_tokens", s.cachedPromptTokens},
                            {"generated_tokens", s.generatedTokens}};
               res.status = shuttingDown ? 503 : 200;
               res.set_content(dump(body), "application/json");
             });
  server.Get(
      "/metrics", [this](const httplib::Request &, httplib::Response &res) {
        res.set_content(prometheusMetrics(scheduler.stats(), scheduler.slots()),
                        "text/plain; version=0.0.4");
      });
  // Errors the routes above did not answer themselves (unknown paths,
  // wrong methods, oversized bodies) still get an OpenAI error object.
  server.set_error_handler([](const httplib::Request &req,
                              httplib::Response &res) {
    if (!res.body.empty())
      return;
    std::string message =
        res.status == 404 ? "no such endpoint: " + req.method + " " + req.path
        : res.status == 413
            ? "the request body is larger than the server accepts"
            : "the request was refused (HTTP " + std::to_string(res.status) +
                  ")";
    ApiError e;
    e.status = res.status;
    e.message = message;
    res.set_content(errorBody(e), "application/json");
  });
  server.set_exception_handler([](const httplib::Request &,
                                  httplib::Response &res,
                                  std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception &e) {
      what += std::string(": ") + e.what();
    } catch (...) {
    }
    sendError(res, serverError(500, what, "server_error"));
  });
}

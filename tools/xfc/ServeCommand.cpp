//===- ServeCommand.cpp - xfc serve ---------------------------------------===//
//
// An OpenAI-compatible HTTP server for a compiled model: requests are
// continuously batched by an xfrt::Scheduler (one KV-cache slot per running
// request) and answered by serve::OpenAIServer. SIGTERM or SIGINT stops
// it: no new connections, in-flight requests get --shutdown-timeout
// seconds to finish, then are cancelled.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "ModelSession.h"

#include "xfc/Serve/OpenAIServer.h"
#include "xfrt/ChatTemplate.h"
#include "xfrt/ModelABI.h"
#include "xfrt/Scheduler.h"

#include "llvm/Support/Format.h"

#include <httplib.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <thread>

using namespace llvm;
using namespace xfc::driver;

namespace {

cl::SubCommand command("serve", "Serve a compiled model over an "
                                "OpenAI-compatible HTTP API");
cl::opt<std::string> modelPath(cl::Positional,
                               cl::desc("<model.so or model.gguf>"),
                               cl::Required, cl::sub(command));
cl::opt<std::string> host("host", cl::desc("Address to listen on"),
                          cl::init("127.0.0.1"), cl::sub(command));
cl::opt<int> port("port", cl::desc("Port to listen on (0: any free port)"),
                  cl::init(8080), cl::sub(command));
cl::opt<int> parallel("parallel",
                      cl::desc("Requests generated at once, each in its own "
                               "KV-cache slot (decode steps batch them)"),
                      cl::init(4), cl::sub(command));
cl::opt<int> queueLimit("queue",
                        cl::desc("Requests that may wait for a slot; more "
                                 "get HTTP 503"),
                        cl::init(64), cl::sub(command));
cl::opt<int64_t>
    prefillChunk("prefill-chunk",
                 cl::desc("Prompt tokens prefilled between two decode steps"),
                 cl::init(128), cl::sub(command));
cl::opt<bool> prefixCache(
    "prefix-cache",
    cl::desc("Keep a slot's keys and values when its request ends; a new "
             "request takes the free slot sharing the longest prefix with "
             "its prompt (if at least half of it; else the slot left "
             "longest ago) and prefills only the rest (chat turns, common "
             "system prompts); --prefix-cache=false empties slots"),
    cl::init(true), cl::sub(command));
cl::opt<int> threads("t",
                     cl::desc("Threads to run on (0: one per available core)"),
                     cl::init(0), cl::sub(command));
cl::alias threadsLong("threads", cl::desc("Alias for -t"),
                      cl::aliasopt(threads));
cl::opt<std::string> alias("alias",
                           cl::desc("The model's name in the API (default: "
                                    "the file name without extension)"),
                           cl::sub(command));
cl::opt<std::string> apiKey(
    "api-key",
    cl::desc("Require this key (Authorization: Bearer KEY) on /v1/ requests; "
             "also read from XFC_API_KEY"),
    cl::sub(command));
cl::opt<std::string> chatTemplate(
    "chat-template",
    cl::desc("Chat format: chatml, llama2, llama3, zephyr, phi3 or gemma "
             "(default: the model's template, else chatml)"),
    cl::sub(command));
cl::opt<double> shutdownTimeout(
    "shutdown-timeout",
    cl::desc("Seconds in-flight requests get to finish after SIGTERM"),
    cl::init(10.0), cl::sub(command));
cl::opt<std::string> isa("isa", cl::desc(kKernelIsaHelp), cl::sub(command));

std::string stem(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

/// The chat format: --chat-template, else the model's, else ChatML.
bool chooseChatFormat(const xfrt::Tokenizer &tokenizer,
                      xfrt::ChatFormat &format) {
  if (!chatTemplate.empty()) {
    std::optional<xfrt::ChatFormat> f = xfrt::parseChatFormat(chatTemplate);
    if (!f) {
      fail("--chat-template '" + chatTemplate +
           "' is not one of: " + xfrt::chatFormatNames());
      return false;
    }
    format = *f;
    return true;
  }
  const std::string &jinja = tokenizer.vocabulary().chatTemplate;
  std::optional<xfrt::ChatFormat> f = xfrt::detectChatFormat(jinja);
  if (!f && !jinja.empty())
    warn(modelPath + "'s chat template is of no family xfc knows; chat "
                     "requests use ChatML (choose with --chat-template)");
  format = f.value_or(xfrt::ChatFormat::ChatML);
  return true;
}

/// The thread that waits for SIGTERM and SIGINT, which every other thread
/// blocks (they inherit the mask: construct this before any starts).
/// Before the server is armed, a signal ends the process at once: nothing
/// is in flight, and loading may be a long compile. Once armed, the first
/// signal runs the graceful stop and a second one ends the process.
class StopSignals {
public:
  StopSignals() {
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    waiter = std::thread([this] { wait(); });
  }
  ~StopSignals() { stoppedBySignal(); }

  /// From now on a signal calls `stop` on the waiting thread.
  void arm(std::function<void(int)> stop) {
    std::lock_guard<std::mutex> lock(mutex);
    onStop = std::move(stop);
  }
  /// Once the server has stopped: waits until a signal's stop has run to
  /// its end, and says whether a signal stopped the server (if not, the
  /// waiting thread is told to end).
  bool stoppedBySignal() {
    bool bySignal = woken.exchange(true);
    if (!bySignal)
      pthread_kill(waiter.native_handle(), SIGTERM);
    if (waiter.joinable())
      waiter.join();
    return bySignal;
  }

private:
  void wait() {
    int signal = 0;
    sigwait(&set, &signal);
    if (woken.exchange(true))
      return;
    std::function<void(int)> stop;
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = onStop;
    }
    if (!stop) {
      errs() << "xfc serve: stopped before serving\n";
      std::_Exit(0);
    }
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    stop(signal);
  }

  sigset_t set;
  std::thread waiter;
  std::atomic<bool> woken{false};
  std::mutex mutex;
  std::function<void(int)> onStop;
};

int run() {
  StopSignals signals;
  std::signal(SIGPIPE, SIG_IGN); // a client gone mid-write is an error

  std::string error;
  if (!isa.empty() && !selectKernelIsa(isa, error))
    return fail(error);
  if (port < 0 || port > 65535)
    return fail("--port must be 0 to 65535");
  if (parallel < 1 || queueLimit < 0 || prefillChunk < 1 || threads < 0 ||
      !(shutdownTimeout >= 0))
    return fail("--parallel and --prefill-chunk must be at least 1; --queue, "
                "-t and --shutdown-timeout must not be negative");
  // A model compiled here gets a batch row per slot (up to the most).
  std::unique_ptr<LoadedModel> m =
      openModel(modelPath, std::min<int64_t>(parallel, XFM_MAX_BATCH_ROWS));
  if (!m)
    return fail("cannot open " + modelPath);
  xfrt::ChatFormat format;
  if (!chooseChatFormat(*m->tokenizer, format))
    return 1;

  xfrt::SchedulerOptions options;
  options.slots = parallel;
  options.maxQueue = queueLimit;
  options.prefillChunk = prefillChunk;
  options.prefixCache = prefixCache;
  options.threads = threads;
  std::unique_ptr<xfrt::Scheduler> scheduler =
      xfrt::Scheduler::create(m->model.get(), options, error);
  if (!scheduler)
    return fail(modelPath + ": " + error);

  xfc::serve::ServerConfig config;
  config.modelId = alias.empty() ? stem(modelPath) : std::string(alias);
  config.chatFormat = format;
  config.apiKey = apiKey;
  if (const char *key = std::getenv("XFC_API_KEY"); key && apiKey.empty())
    config.apiKey = key;
  xfc::serve::OpenAIServer api(*scheduler, *m->tokenizer, config);
  httplib::Server http;
  // A streaming request holds its connection's thread until it ends.
  size_t connections = static_cast<size_t>(parallel) + queueLimit + 8;
  http.new_task_queue = [connections] {
    return new httplib::ThreadPool(connections);
  };
  api.install(http);

  int bound = port == 0 ? http.bind_to_any_port(host)
                        : (http.bind_to_port(host, port) ? int(port) : -1);
  if (bound < 0)
    return fail("cannot listen on " + host + ":" + std::to_string(port));

  std::atomic<bool> listenerDone{false};
  signals.arm([&](int signal) {
    errs() << "xfc serve: stopping ("
           << (signal == SIGINT ? "SIGINT" : "SIGTERM") << "), in-flight "
           << llvm::format("requests have %.1f s (signal again to force)\n",
                           double(shutdownTimeout));
    api.beginShutdown();
    // stop() does nothing before listen() has started.
    while (!http.is_running() && !listenerDone)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    http.stop(); // no new connections; listen() waits for the open ones
    scheduler->shutdown(std::chrono::milliseconds(
        static_cast<int64_t>(shutdownTimeout * 1000)));
  });
  outs() << "xfc serve: " << config.modelId << " ("
         << xfrt::chatFormatName(format) << " chat, " << parallel << " slots, "
         << xfrt_model_batch_rows(m->model.get())
         << " rows per decode step) listening on http://" << host << ":"
         << bound << "\n";
  outs().flush();
  bool listened = http.listen_after_bind();
  listenerDone = true;
  // The stop uses the server and scheduler: they live until it returns.
  if (!signals.stoppedBySignal())
    return fail(std::string("the HTTP listener stopped") +
                (listened ? "" : " (it failed)"));
  xfrt::SchedulerStats s = scheduler->stats();
  errs() << "xfc serve: stopped after " << s.completed << " requests ("
         << s.cancelled << " cancelled, " << s.failed << " failed), "
         << s.promptTokens << " prompt tokens prefilled ("
         << s.cachedPromptTokens << " more from the prefix cache) and "
         << s.generatedTokens << " generated\n";
  return 0;
}

RegisterCommand registration(command, run);

} // namespace

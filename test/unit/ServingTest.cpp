//===- ServingTest.cpp - Chat prompts, streamed text, API requests --------===//
//
// The pieces of `xfc serve` that need no model: chat template detection and
// rendering, the text stream (UTF-8 and stop strings), the vocabulary's
// chat template in the .so, and the OpenAI request parser's checks.
//
//===----------------------------------------------------------------------===//

#include "xfc/Serve/OpenAIProtocol.h"
#include "xfrt/ChatTemplate.h"
#include "xfrt/TextStream.h"
#include "xfrt/Tokenizer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace xfrt;
using namespace xfc::serve;

namespace {

//===----------------------------------------------------------------------===//
// Chat templates
//===----------------------------------------------------------------------===//

TEST(ChatTemplate, DetectsFamiliesByTheirMarkers) {
  EXPECT_EQ(detectChatFormat("{{'<|im_start|>' + message['role']}}"),
            ChatFormat::ChatML);
  EXPECT_EQ(detectChatFormat("'<|start_header_id|>' + message['role']"),
            ChatFormat::Llama3);
  EXPECT_EQ(detectChatFormat("<start_of_turn>user"), ChatFormat::Gemma);
  // Phi-3 and Zephyr share <|user|>; only Phi-3 closes turns with <|end|>.
  EXPECT_EQ(detectChatFormat("'<|user|>' + content + '<|end|>'"),
            ChatFormat::Phi3);
  EXPECT_EQ(detectChatFormat("'<|user|>\\n' + content + eos_token"),
            ChatFormat::Zephyr);
  EXPECT_EQ(detectChatFormat("bos_token + '[INST] ' + content + ' [/INST]'"),
            ChatFormat::Llama2);
  EXPECT_EQ(detectChatFormat(""), std::nullopt);
  EXPECT_EQ(detectChatFormat("{{ messages | tojson }}"), std::nullopt);
}

TEST(ChatTemplate, NamesRoundTrip) {
  for (ChatFormat f :
       {ChatFormat::ChatML, ChatFormat::Llama2, ChatFormat::Llama3,
        ChatFormat::Zephyr, ChatFormat::Phi3, ChatFormat::Gemma})
    EXPECT_EQ(parseChatFormat(chatFormatName(f)), f);
  EXPECT_EQ(parseChatFormat("jinja"), std::nullopt);
}

TEST(ChatTemplate, RendersEachFamily) {
  std::vector<ChatMessage> m = {{"system", "Be brief."},
                                {"user", "Hi"},
                                {"assistant", "Hello"},
                                {"user", "Bye"}};
  EXPECT_EQ(renderChat(ChatFormat::ChatML, m, "</s>"),
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello<|im_end|>\n"
            "<|im_start|>user\nBye<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(renderChat(ChatFormat::Zephyr, m, "</s>"),
            "<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n"
            "<|assistant|>\nHello</s>\n<|user|>\nBye</s>\n<|assistant|>\n");
  EXPECT_EQ(renderChat(ChatFormat::Llama2, m, "</s>"),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello</s>"
            "<s>[INST] Bye [/INST]");
  EXPECT_EQ(renderChat(ChatFormat::Llama2, {m[0]}, "</s>"),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n [/INST]");
  EXPECT_EQ(renderChat(ChatFormat::Llama3, {{"user", "Hi"}}, ""),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // Gemma has no system turn: it opens the first user turn.
  EXPECT_EQ(renderChat(ChatFormat::Gemma, {m[0], m[1]}, ""),
            "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
            "<start_of_turn>model\n");
  EXPECT_EQ(renderChat(ChatFormat::Phi3, {m[1]}, ""),
            "<|user|>\nHi<|end|>\n<|assistant|>\n");
}

TEST(ChatTemplate, EndOfTurn) {
  EXPECT_EQ(endOfTurn(ChatFormat::ChatML, "</s>"), "<|im_end|>");
  EXPECT_EQ(endOfTurn(ChatFormat::Llama3, "</s>"), "<|eot_id|>");
  EXPECT_EQ(endOfTurn(ChatFormat::Zephyr, "</s>"), "</s>");
  EXPECT_EQ(endOfTurn(ChatFormat::Gemma, "</s>"), "<end_of_turn>");
}

TEST(ChatTemplate, TravelsWithTheVocabulary) {
  Vocabulary v;
  v.tokens = {"<unk>", "a"};
  v.unk = 0;
  v.chatTemplate = "{{ '<|im_start|>' }}";
  std::string bytes = serializeVocabulary(v);
  Vocabulary back;
  std::string error;
  ASSERT_TRUE(
      deserializeVocabulary(reinterpret_cast<const uint8_t *>(bytes.data()),
                            bytes.size(), back, error))
      << error;
  EXPECT_EQ(back.chatTemplate, v.chatTemplate);
  EXPECT_EQ(back.tokens, v.tokens);
}

//===----------------------------------------------------------------------===//
// Text streams
//===----------------------------------------------------------------------===//

class TextStreamTest : public ::testing::Test {
protected:
  void SetUp() override {
    const std::string mark = "\xE2\x96\x81"; // ▁
    Vocabulary v;
    v.kind = TokenizerKind::SentencePiece;
    v.tokens = {"<unk>", "<s>",    "</s>",   mark + "hello", mark + "world",
                "!",     "<0xE2>", "<0x82>", "<0xAC>",       "d"};
    v.types = {TokenType::Unknown, TokenType::Control, TokenType::Control,
               TokenType::Normal,  TokenType::Normal,  TokenType::Normal,
               TokenType::Byte,    TokenType::Byte,    TokenType::Byte,
               TokenType::Normal};
    v.unk = 0, v.bos = 1, v.eos = 2;
    std::string error;
    tokenizer = Tokenizer::create(v, error);
    ASSERT_TRUE(tokenizer) << error;
  }
  enum : int32_t {
    Hello = 3,
    World = 4,
    Bang = 5,
    E2 = 6,
    X82 = 7,
    AC = 8,
    D = 9
  };
  std::unique_ptr<Tokenizer> tokenizer;
};

TEST_F(TextStreamTest, HoldsBackHalfCharacters) {
  TextStream s(*tokenizer, {});
  // Generated text continues the prompt: "▁hello" keeps its space.
  EXPECT_EQ(s.push(Hello), " hello");
  EXPECT_EQ(s.push(E2), "");
  EXPECT_EQ(s.push(X82), "");
  EXPECT_EQ(s.push(AC), "\xE2\x82\xAC"); // €
  EXPECT_EQ(s.push(World), " world");
  EXPECT_EQ(s.finish(), "");
  EXPECT_EQ(s.text(), " hello\xE2\x82\xAC world");
}

TEST_F(TextStreamTest, EndsBeforeAStopString) {
  TextStream s(*tokenizer, {"d!", "zzz"});
  EXPECT_EQ(s.push(Hello), " hello");
  // "d" might begin "d!": held back.
  EXPECT_EQ(s.push(World), " worl");
  EXPECT_FALSE(s.stopped());
  EXPECT_EQ(s.push(Bang), "");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.push(Hello), "");
  EXPECT_EQ(s.finish(), "");
  EXPECT_EQ(s.text(), " hello worl");
}

TEST_F(TextStreamTest, ReleasesHeldTextWhenNoStopFollows) {
  TextStream s(*tokenizer, {"d!"});
  EXPECT_EQ(s.push(Hello), " hello");
  EXPECT_EQ(s.push(D), "");
  EXPECT_EQ(s.push(Hello), "d hello"); // "d " no longer begins "d!"
  EXPECT_EQ(s.push(D), "");
  EXPECT_EQ(s.finish(), "d");
  EXPECT_FALSE(s.stopped());
}

TEST_F(TextStreamTest, StopStringAcrossTokens) {
  TextStream s(*tokenizer, {"o w"});
  EXPECT_EQ(s.push(Hello), " hell");
  EXPECT_EQ(s.push(World), "");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.text(), " hell");
}

TEST_F(TextStreamTest, StopStringInsideOneToken) {
  // The token that holds the stop string gives the text before it, once.
  TextStream s(*tokenizer, {"ld"});
  EXPECT_EQ(s.push(Hello), " hello");
  EXPECT_EQ(s.push(World), " wor");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.finish(), "");
  EXPECT_EQ(s.text(), " hello wor");
}

//===----------------------------------------------------------------------===//
// OpenAI requests
//===----------------------------------------------------------------------===//

std::optional<CompletionParams> parse(const std::string &body, Endpoint e,
                                      ApiError &error) {
  return parseCompletionRequest(body, e, error);
}

TEST(OpenAIRequest, CompletionWithEveryField) {
  ApiError error;
  auto p = parse(R"({"model": "m", "prompt": "Hi", "max_tokens": 5,
                     "temperature": 0, "top_p": 0.5, "seed": 7,
                     "stop": ["a", "b"], "stream": true, "logprobs": 2,
                     "stream_options": {"include_usage": true},
                     "frequency_penalty": 0, "return_tokens": true,
                     "ignore_eos": true})",
                 Endpoint::Completions, error);
  ASSERT_TRUE(p) << error.message;
  EXPECT_EQ(p->prompt, "Hi");
  EXPECT_EQ(p->maxTokens, 5);
  EXPECT_EQ(p->temperature, 0.0f);
  EXPECT_EQ(p->topP, 0.5f);
  EXPECT_EQ(p->seed, 7u);
  EXPECT_EQ(p->stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(p->stream);
  EXPECT_TRUE(p->includeUsage);
  EXPECT_TRUE(p->returnTokens);
  EXPECT_TRUE(p->ignoreEos);
  EXPECT_EQ(p->logprobs, 2);
}

TEST(OpenAIRequest, DefaultsAndNulls) {
  ApiError error;
  auto p = parse(R"({"prompt": ["Hi"], "max_tokens": null, "stop": null})",
                 Endpoint::Completions, error);
  ASSERT_TRUE(p) << error.message;
  EXPECT_EQ(p->prompt, "Hi");
  EXPECT_FALSE(p->maxTokens);
  EXPECT_EQ(p->temperature, 1.0f);
  EXPECT_EQ(p->logprobs, -1);
  auto ids = parse(R"({"prompt": [1, 2, 3]})", Endpoint::Completions, error);
  ASSERT_TRUE(ids) << error.message;
  EXPECT_EQ(ids->promptIds, (std::vector<int32_t>{1, 2, 3}));
}

TEST(OpenAIRequest, ChatMessagesAndParts) {
  ApiError error;
  auto p = parse(R"({"messages": [
                      {"role": "system", "content": "S"},
                      {"role": "user", "content": [
                        {"type": "text", "text": "a"},
                        {"type": "text", "text": "b"}]}],
                     "max_completion_tokens": 9, "logprobs": true,
                     "top_logprobs": 3})",
                 Endpoint::ChatCompletions, error);
  ASSERT_TRUE(p) << error.message;
  ASSERT_EQ(p->messages.size(), 2u);
  EXPECT_EQ(p->messages[1].content, "ab");
  EXPECT_EQ(p->maxTokens, 9);
  EXPECT_EQ(p->logprobs, 3);
}

TEST(OpenAIRequest, EachProblemNamesItsField) {
  struct Case {
    const char *body;
    Endpoint endpoint;
    const char *param;
    const char *message;
  } cases[] = {
      {"{bad", Endpoint::Completions, "", "not valid JSON"},
      {"[1]", Endpoint::Completions, "", "must be a JSON object"},
      {"{}", Endpoint::Completions, "prompt", "is required"},
      {R"({"prompt": 3})", Endpoint::Completions, "prompt", "must be a"},
      {R"({"prompt": ["a", "b"]})", Endpoint::Completions, "prompt",
       "one prompt per request"},
      {R"({"prompt": [1, -2]})", Endpoint::Completions, "prompt",
       "non-negative"},
      {R"({"prompt": "a", "max_tokens": "9"})", Endpoint::Completions,
       "max_tokens", "must be an integer"},
      {R"({"prompt": "a", "max_tokens": 0})", Endpoint::Completions,
       "max_tokens", "between 1 and"},
      {R"({"prompt": "a", "max_tokens": 1e30})", Endpoint::Completions,
       "max_tokens", "must be an integer"},
      {R"({"prompt": "a", "max_tokens": 18446744073709551615})",
       Endpoint::Completions, "max_tokens", "too large"},
      {R"({"prompt": "a", "temperature": 2.5})", Endpoint::Completions,
       "temperature", "between 0.0 and 2.0"},
      {R"({"prompt": "a", "top_p": 0})", Endpoint::Completions, "top_p",
       "greater than 0"},
      {R"({"prompt": "a", "stop": ["a","b","c","d","e"]})",
       Endpoint::Completions, "stop", "at most 4"},
      {R"({"prompt": "a", "stop": [1]})", Endpoint::Completions, "stop",
       "only strings"},
      {R"({"prompt": "a", "n": 2})", Endpoint::Completions, "n", "must be 1"},
      {R"({"prompt": "a", "stream": "yes"})", Endpoint::Completions, "stream",
       "boolean"},
      {R"({"prompt": "a", "logprobs": 6})", Endpoint::Completions, "logprobs",
       "between 0 and 5"},
      {R"({"prompt": "a", "echo": true})", Endpoint::Completions, "echo",
       "not supported"},
      {R"({"prompt": "a", "model": 1})", Endpoint::Completions, "model",
       "must be a string"},
      {R"({"messages": []})", Endpoint::ChatCompletions, "messages",
       "non-empty array"},
      {R"({"messages": [{"role": "tool", "content": "x"}]})",
       Endpoint::ChatCompletions, "messages[0].role", "got 'tool'"},
      {R"({"messages": [{"content": "x"}]})", Endpoint::ChatCompletions,
       "messages[0].role", "must be a string"},
      {R"({"messages": [{"role": "user"}]})", Endpoint::ChatCompletions,
       "messages[0].content", "must be a string"},
      {R"({"messages": [{"role": "user", "content": [
           {"type": "image_url", "image_url": {}}]}]})",
       Endpoint::ChatCompletions, "messages[0].content", "text only"},
      {R"({"messages": [{"role": "user", "content": "x"}],
           "top_logprobs": 2})",
       Endpoint::ChatCompletions, "top_logprobs", "needs 'logprobs'"},
  };
  for (const Case &c : cases) {
    ApiError error;
    EXPECT_FALSE(parse(c.body, c.endpoint, error)) << c.body;
    EXPECT_EQ(error.status, 400) << c.body;
    EXPECT_EQ(error.param, c.param) << c.body;
    EXPECT_NE(error.message.find(c.message), std::string::npos)
        << c.body << ": " << error.message;
  }
}

TEST(OpenAIRequest, ErrorBodyIsAnOpenAIErrorObject) {
  ApiError e;
  e.message = "'n' must be 1";
  e.param = "n";
  nlohmann::json body = nlohmann::json::parse(errorBody(e));
  EXPECT_EQ(body["error"]["message"], "'n' must be 1");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["param"], "n");
  EXPECT_TRUE(body["error"]["code"].is_null());
}

} // namespace

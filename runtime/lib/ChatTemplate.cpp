//===- ChatTemplate.cpp - Chat template families --------------------------===//

#include "xfrt/ChatTemplate.h"

#include <array>

using namespace xfrt;

namespace {

struct FormatName {
  ChatFormat format;
  const char *name;
};

constexpr std::array<FormatName, 6> kNames = {{
    {ChatFormat::ChatML, "chatml"},
    {ChatFormat::Llama2, "llama2"},
    {ChatFormat::Llama3, "llama3"},
    {ChatFormat::Zephyr, "zephyr"},
    {ChatFormat::Phi3, "phi3"},
    {ChatFormat::Gemma, "gemma"},
}};

bool contains(std::string_view text, std::string_view marker) {
  return text.find(marker) != std::string_view::npos;
}

/// Llama 2: the system prompt goes inside the first [INST], each exchange
/// is "<s>[INST] user [/INST] assistant</s>" (the first <s> is the
/// tokenizer's BOS).
std::string renderLlama2(const std::vector<ChatMessage> &messages,
                         std::string_view eos) {
  std::string out, system;
  bool first = true;
  // A system prompt no user turn takes is an instruction of its own.
  auto flushSystem = [&] {
    if (system.empty())
      return;
    out += std::string(first ? "" : "<s>") + "[INST] <<SYS>>\n" + system +
           "\n<</SYS>>\n\n [/INST]";
    system.clear();
    first = false;
  };
  for (const ChatMessage &m : messages) {
    if (m.role == "system") {
      system += m.content;
    } else if (m.role == "user") {
      if (!first)
        out += "<s>";
      out += "[INST] ";
      if (!system.empty())
        out += "<<SYS>>\n" + system + "\n<</SYS>>\n\n";
      system.clear();
      out += m.content + " [/INST]";
      first = false;
    } else {
      flushSystem();
      out += " " + m.content + std::string(eos);
    }
  }
  flushSystem();
  return out;
}

/// Gemma has no system role: it is prefixed to the first user turn.
std::string renderGemma(const std::vector<ChatMessage> &messages) {
  std::string out, system;
  for (const ChatMessage &m : messages) {
    if (m.role == "system") {
      system += m.content + "\n\n";
      continue;
    }
    bool user = m.role == "user";
    out += std::string("<start_of_turn>") + (user ? "user" : "model") + "\n";
    if (user)
      out += system, system.clear();
    out += m.content + "<end_of_turn>\n";
  }
  return out + "<start_of_turn>model\n";
}

} // namespace

std::optional<ChatFormat> xfrt::detectChatFormat(std::string_view jinja) {
  // Most specific markers first: Phi-3 shares <|user|> with Zephyr.
  if (contains(jinja, "<|im_start|>"))
    return ChatFormat::ChatML;
  if (contains(jinja, "<|start_header_id|>"))
    return ChatFormat::Llama3;
  if (contains(jinja, "<start_of_turn>"))
    return ChatFormat::Gemma;
  if (contains(jinja, "<|user|>") && contains(jinja, "<|end|>"))
    return ChatFormat::Phi3;
  if (contains(jinja, "<|user|>"))
    return ChatFormat::Zephyr;
  if (contains(jinja, "[INST]"))
    return ChatFormat::Llama2;
  return std::nullopt;
}

const char *xfrt::chatFormatName(ChatFormat format) {
  for (const FormatName &n : kNames)
    if (n.format == format)
      return n.name;
  return "?";
}

std::optional<ChatFormat> xfrt::parseChatFormat(std::string_view name) {
  for (const FormatName &n : kNames)
    if (name == n.name)
      return n.format;
  return std::nullopt;
}

std::string xfrt::chatFormatNames() {
  std::string names;
  for (const FormatName &n : kNames)
    names += (names.empty() ? "" : ", ") + std::string(n.name);
  return names;
}

bool xfrt::isChatRole(std::string_view role) {
  return role == "system" || role == "user" || role == "assistant";
}

std::string xfrt::renderChat(ChatFormat format,
                             const std::vector<ChatMessage> &messages,
                             std::string_view eos) {
  std::string out;
  switch (format) {
  case ChatFormat::ChatML:
    for (const ChatMessage &m : messages)
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    return out + "<|im_start|>assistant\n";
  case ChatFormat::Llama3:
    for (const ChatMessage &m : messages)
      out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" +
             m.content + "<|eot_id|>";
    return out + "<|start_header_id|>assistant<|end_header_id|>\n\n";
  case ChatFormat::Zephyr:
    for (const ChatMessage &m : messages)
      out += "<|" + m.role + "|>\n" + m.content + std::string(eos) + "\n";
    return out + "<|assistant|>\n";
  case ChatFormat::Phi3:
    for (const ChatMessage &m : messages)
      out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
    return out + "<|assistant|>\n";
  case ChatFormat::Gemma:
    return renderGemma(messages);
  case ChatFormat::Llama2:
    return renderLlama2(messages, eos);
  }
  return out;
}

std::string xfrt::endOfTurn(ChatFormat format, std::string_view eos) {
  switch (format) {
  case ChatFormat::ChatML:
    return "<|im_end|>";
  case ChatFormat::Llama3:
    return "<|eot_id|>";
  case ChatFormat::Phi3:
    return "<|end|>";
  case ChatFormat::Gemma:
    return "<end_of_turn>";
  case ChatFormat::Zephyr:
  case ChatFormat::Llama2:
    break;
  }
  return std::string(eos);
}

//===- ChatTemplate.h - Rendering chat messages as a prompt -----*- C++ -*-===//
//
// A model's chat template is Jinja text (GGUF tokenizer.chat_template). The
// runtime does not evaluate Jinja: it recognizes the common template
// families by their markers, as llama.cpp does, and renders each in C++.
// A model without a template, or with one no family matches, uses ChatML
// (docs/serving.md).
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_CHATTEMPLATE_H
#define XFRT_CHATTEMPLATE_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xfrt {

enum class ChatFormat { ChatML, Llama2, Llama3, Zephyr, Phi3, Gemma };

struct ChatMessage {
  std::string role; // system, user or assistant
  std::string content;
};

/// The family `jinja` belongs to; nullopt for an empty or unknown template.
std::optional<ChatFormat> detectChatFormat(std::string_view jinja);

/// "chatml", "llama2", "llama3", "zephyr", "phi3" or "gemma".
const char *chatFormatName(ChatFormat format);
std::optional<ChatFormat> parseChatFormat(std::string_view name);
/// The names above, comma-separated, for messages.
std::string chatFormatNames();

/// Whether `role` is one the renderer places (system, user, assistant).
bool isChatRole(std::string_view role);

/// The prompt for `messages` followed by the opening of the assistant's
/// reply. `eos` is the text of the model's end-of-sequence token (Zephyr
/// and Llama 2 close turns with it). BOS is not included: the tokenizer
/// adds it. Tokenize the result with special tokens parsed.
std::string renderChat(ChatFormat format,
                       const std::vector<ChatMessage> &messages,
                       std::string_view eos);

/// The text that ends an assistant turn in `format` (generation stops
/// there): "<|im_end|>", "<|eot_id|>", ...; `eos` where the turn ends with
/// the end-of-sequence token.
std::string endOfTurn(ChatFormat format, std::string_view eos);

} // namespace xfrt

#endif // XFRT_CHATTEMPLATE_H

//! Where in a completion an answer is looked for: after the thinking, in the last assistant
//! turn when the text holds turn headers, and before the chat-template token that ends it.

/// The text after the last `</think>`, or all of it: answers are looked for there, never in
/// the scratchpad.
pub(crate) fn after_thinking(text: &str) -> &str {
    text.rfind("</think>")
        .map_or(text, |i| &text[i + "</think>".len()..])
}

/// Chat-template tokens that open another turn (ChatML, Llama 3, Phi-3).
const TURN_STARTS: &[&str] = &[
    "<|im_start|>",
    "<|start_header_id|>",
    "<|user|>",
    "<|system|>",
    "<|assistant|>",
];

/// Chat-template tokens that end a turn or the text.
const TURN_ENDS: &[&str] = &[
    "<|im_end|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<|end|>",
];

/// The chat-template token (of [`TURN_STARTS`] or [`TURN_ENDS`]) that `text` starts with.
fn chat_token(text: &str) -> Option<&'static str> {
    TURN_STARTS
        .iter()
        .chain(TURN_ENDS)
        .find(|t| text.starts_with(**t))
        .copied()
}

/// `text` up to where its turn ends: at a token that opens another turn (`<|im_start|>user`),
/// or at an end-of-turn token (`<|im_end|>`, `<|eot_id|>`) followed by nothing or another
/// token. Text after an end token that is not a new turn still counts (`5 <|im_end|> or 6`
/// is not 5), and so does a `<|` that is not a known token (`0<|x|<1`). A turn header that
/// opens the text (`<|im_start|>assistant`) is not its end.
pub(crate) fn before_chat_token(text: &str) -> &str {
    let mut from = 0;
    while let Some(at) = text[from..].find("<|").map(|k| k + from) {
        let Some(token) = chat_token(&text[at..]) else {
            from = at + 2;
            continue;
        };
        let rest = &text[at + token.len()..];
        let opens_text =
            text[..at].trim().is_empty() || text[..at].trim_end().ends_with("<|end_header_id|>");
        // `<|im_start|>assistant` continues the answering side: not another turn.
        let assistant = rest
            .trim_start_matches("<|start_header_id|>")
            .trim_start()
            .starts_with("assistant");
        let new_turn = TURN_STARTS.contains(&token) && !assistant;
        let ends = TURN_ENDS.contains(&token)
            && (rest.trim().is_empty() || chat_token(rest.trim_start()).is_some());
        if !opens_text && (new_turn || ends) {
            return &text[..at];
        }
        from = at + token.len();
    }
    text
}

/// Where an answer is looked for: after the thinking, in the last assistant turn when the text
/// holds turn headers (a system or user turn quoting an answer is not the model's), and before
/// the chat-template token that ends that turn.
pub(crate) fn answer_region(text: &str) -> &str {
    let text = after_thinking(text);
    let turn = [
        "<|im_start|>assistant",
        "<|start_header_id|>assistant<|end_header_id|>",
        "<|assistant|>",
    ]
    .iter()
    .filter_map(|h| text.rfind(h).map(|i| i + h.len()))
    .max()
    .map_or(text, |i| &text[i..]);
    before_chat_token(turn)
}

//! Chat templates: a conversation rendered as the one prompt string a model was trained on.
//!
//! - [`ChatTemplate::ChatMl`]: SmolLM2's template (stored in its GGUF as `tokenizer.chat_template`),
//!   reproduced exactly:
//!   ```text
//!   {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}
//!   {{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}
//!   {% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}
//!   {% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
//!   ```
//!   so a conversation without a system message gets SmolLM2's default one
//!   ([`SMOLLM2_DEFAULT_SYSTEM`]). The llama.cpp reference prompts use the system message
//!   `You are a helpful assistant.`, given explicitly.
//! - [`ChatTemplate::Plain`]: for models trained from scratch with no markup tokens: each message
//!   as `Role: content` on its own line(s), a blank line between messages, and `Assistant:` as the
//!   generation prompt; no default system message.

/// The system message SmolLM2's template inserts when a conversation has none.
pub const SMOLLM2_DEFAULT_SYSTEM: &str =
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// A prompt format. Messages are `(role, content)` pairs; roles are usually `system`, `user` and
/// `assistant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatTemplate {
    /// `<|im_start|>role\ncontent<|im_end|>\n` per message (SmolLM2, Qwen, ...).
    ChatMl,
    /// `Role: content` blocks separated by blank lines.
    Plain,
}

impl ChatTemplate {
    /// The prompt for `messages`; with `add_generation_prompt`, followed by the opening of an
    /// assistant turn, so that the model's continuation is the assistant's reply.
    pub fn render(&self, messages: &[(String, String)], add_generation_prompt: bool) -> String {
        let mut out = String::new();
        match self {
            Self::ChatMl => {
                let mut turn = |role: &str, content: &str| {
                    out.push_str("<|im_start|>");
                    out.push_str(role);
                    out.push('\n');
                    out.push_str(content);
                    out.push_str("<|im_end|>\n");
                };
                match messages.first() {
                    Some((role, _)) if role == "system" => {}
                    // The template checks `messages[0]` inside the loop: an empty conversation
                    // gets no default system message.
                    Some(_) => turn("system", SMOLLM2_DEFAULT_SYSTEM),
                    None => {}
                }
                for (role, content) in messages {
                    turn(role, content);
                }
                if add_generation_prompt {
                    out.push_str("<|im_start|>assistant\n");
                }
            }
            Self::Plain => {
                for (role, content) in messages {
                    out.push_str(&capitalised(role));
                    out.push_str(": ");
                    out.push_str(content);
                    out.push_str("\n\n");
                }
                if add_generation_prompt {
                    out.push_str("Assistant:");
                }
            }
        }
        out
    }

    /// The template as Jinja, as Hugging Face's `tokenizer_config.json` carries it
    /// (`chat_template`), rendering exactly what [`ChatTemplate::render`] does.
    pub fn jinja(&self) -> &'static str {
        match self {
            Self::ChatMl => concat!(
                "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}",
                "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}",
                "{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}",
                "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
            ),
            Self::Plain => concat!(
                "{% for message in messages %}{{ message['role'][:1] | upper }}{{ message['role'][1:] }}: ",
                "{{ message['content'] }}{{ '\\n\\n' }}{% endfor %}",
                "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}",
            ),
        }
    }

    /// The template a tokenizer's vocabulary calls for: ChatML when it has `<|im_start|>`,
    /// the plain one otherwise (a from-scratch character-level student).
    pub fn for_tokenizer(tokenizer: &crate::tokenizer::Tokenizer) -> Self {
        if tokenizer.token_id("<|im_start|>").is_some() {
            ChatTemplate::ChatMl
        } else {
            ChatTemplate::Plain
        }
    }

    /// Strings that end an assistant turn in this format, for [`crate::sampling::StopMatcher`]:
    /// ChatML's end-of-turn and start-of-turn markers and `<|endoftext|>`; for `Plain`, the start
    /// of the next user turn.
    pub fn stop_strings(&self) -> Vec<String> {
        match self {
            Self::ChatMl => vec![
                "<|im_end|>".to_owned(),
                "<|im_start|>".to_owned(),
                "<|endoftext|>".to_owned(),
            ],
            Self::Plain => vec!["\n\nUser:".to_owned()],
        }
    }
}

/// `user` → `User`; other roles likewise (first character upper-cased).
fn capitalised(role: &str) -> String {
    let mut chars = role.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(r, c)| ((*r).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn chatml_renders_the_llama_cpp_fixture_prompts() {
        let path = crate::testing::llamacpp_reference_path();
        let fx: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())),
        )
        .unwrap();
        let questions = [
            "What is 12 + 35? Think step by step, then give the answer.",
            "Explain in three sentences why the sky is blue.",
        ];
        let cases = fx["cases"].as_array().unwrap();
        assert_eq!(cases.len(), questions.len());
        for (case, q) in cases.iter().zip(questions) {
            let rendered = ChatTemplate::ChatMl.render(
                &msgs(&[("system", "You are a helpful assistant."), ("user", q)]),
                true,
            );
            assert_eq!(rendered, case["prompt"].as_str().unwrap());
        }
    }

    #[test]
    fn chatml_inserts_smollm2_default_system_message() {
        let rendered = ChatTemplate::ChatMl.render(&msgs(&[("user", "hi")]), true);
        assert_eq!(
            rendered,
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging \
             Face<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
        // A full exchange, no generation prompt; a system message later on is not "first".
        let rendered = ChatTemplate::ChatMl.render(
            &msgs(&[("system", "S"), ("user", "q"), ("assistant", "a")]),
            false,
        );
        assert_eq!(
            rendered,
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nq<|im_end|>\n\
             <|im_start|>assistant\na<|im_end|>\n"
        );
        assert_eq!(
            ChatTemplate::ChatMl.render(&[], true),
            "<|im_start|>assistant\n"
        );
    }

    #[test]
    fn plain_template() {
        let rendered = ChatTemplate::Plain.render(
            &msgs(&[("user", "Compute 2 + 2."), ("assistant", "4")]),
            false,
        );
        assert_eq!(rendered, "User: Compute 2 + 2.\n\nAssistant: 4\n\n");
        let prompt = ChatTemplate::Plain.render(&msgs(&[("user", "Compute 2 + 2.")]), true);
        assert_eq!(prompt, "User: Compute 2 + 2.\n\nAssistant:");
        // The stop string ends a reply where the next user turn would begin.
        let next_turn = ChatTemplate::Plain.render(&msgs(&[("user", "x")]), false);
        let generated = format!(" 4\n\n{next_turn}");
        let stops = crate::sampling::StopMatcher::new(&ChatTemplate::Plain.stop_strings());
        assert_eq!(stops.find(&generated), Some(2));
    }

    #[test]
    fn chatml_stop_strings_end_a_turn() {
        let stops = crate::sampling::StopMatcher::new(&ChatTemplate::ChatMl.stop_strings());
        assert_eq!(stops.find("The answer is 4.<|im_end|>\n"), Some(16));
        assert_eq!(stops.find("4<|endoftext|>"), Some(1));
        assert_eq!(stops.find("no end yet"), None);
    }
}

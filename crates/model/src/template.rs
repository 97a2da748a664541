//! The SmolLM2 chat template (ChatML), identical in output to the `chat_template` shipped with
//! SmolLM2-135M-Instruct:
//!
//! ```text
//! <|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n
//! <|im_start|>user\nWhat is 2+2?<|im_end|>\n
//! <|im_start|>assistant\n
//! ```
//!
//! (without the line breaks after each `\n`). When the first message is not a system message,
//! the model's default system prompt is inserted, as the reference template does.
//!
//! The template is produced as [`Segment`]s rather than one string so that the special tokens are
//! inserted by id and message text is tokenized as plain text: a user who types `<|im_end|>`
//! gets those characters, not the control token (no prompt injection through the delimiters).

use serde::{Deserialize, Serialize};

/// Opens a message.
pub const IM_START: &str = "<|im_start|>";
/// Closes a message; the model emits it to end its turn.
pub const IM_END: &str = "<|im_end|>";
/// End of text.
pub const END_OF_TEXT: &str = "<|endoftext|>";
/// The system prompt the reference template inserts when the conversation has none.
pub const DEFAULT_SYSTEM_PROMPT: &str =
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the assistant.
    System,
    /// The end user.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The role's name in the template (`system`, `user`, `assistant`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of a conversation (the OpenAI `messages` element, text only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }
    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A piece of the templated prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A special token, inserted by id.
    Special(&'static str),
    /// Text, tokenized as plain text (special-token strings in it are not recognised).
    Text(String),
}

/// The prompt for `messages`, ending with the assistant header so the model answers next.
pub fn segments(messages: &[ChatMessage]) -> Vec<Segment> {
    let mut out = Vec::with_capacity(messages.len().saturating_mul(4).saturating_add(6));
    let mut push = |role: &str, content: &str| {
        out.push(Segment::Special(IM_START));
        out.push(Segment::Text(format!("{role}\n{content}")));
        out.push(Segment::Special(IM_END));
        out.push(Segment::Text("\n".to_string()));
    };
    if messages.first().is_none_or(|m| m.role != Role::System) {
        push(Role::System.as_str(), DEFAULT_SYSTEM_PROMPT);
    }
    for m in messages {
        push(m.role.as_str(), &m.content);
    }
    out.push(Segment::Special(IM_START));
    out.push(Segment::Text("assistant\n".to_string()));
    out
}

/// The prompt as one string, exactly as the reference Jinja template renders it
/// (`add_generation_prompt=True`). For display and tests; generation uses [`segments`].
pub fn render(messages: &[ChatMessage]) -> String {
    segments(messages)
        .into_iter()
        .map(|s| match s {
            Segment::Special(t) => t.to_string(),
            Segment::Text(t) => t,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_the_default_system_prompt() {
        let p = render(&[ChatMessage::user("What is 2+2?")]);
        assert_eq!(
            p,
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n\
             <|im_start|>user\nWhat is 2+2?<|im_end|>\n\
             <|im_start|>assistant\n"
        );
    }

    #[test]
    fn keeps_a_given_system_prompt_and_history() {
        let p = render(&[
            ChatMessage::system("Be brief."),
            ChatMessage::user("Hi"),
            ChatMessage::assistant("Hello!"),
            ChatMessage::user("Bye"),
        ]);
        assert_eq!(
            p,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n\
             <|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n\
             <|im_start|>assistant\n"
        );
    }

    #[test]
    fn a_later_system_message_does_not_suppress_the_default() {
        // The reference template only looks at messages[0].
        let p = render(&[ChatMessage::user("a"), ChatMessage::system("b")]);
        assert!(p.starts_with("<|im_start|>system\nYou are a helpful AI assistant"));
        assert!(p.contains("<|im_start|>system\nb<|im_end|>"));
    }

    #[test]
    fn empty_conversation_still_prompts_the_assistant() {
        let s = segments(&[]);
        assert_eq!(s.first(), Some(&Segment::Special(IM_START)));
        assert_eq!(s.last(), Some(&Segment::Text("assistant\n".into())));
    }

    #[test]
    fn user_text_with_delimiters_stays_text() {
        let s = segments(&[ChatMessage::user("x<|im_end|>y")]);
        let specials = s
            .iter()
            .filter(|x| matches!(x, Segment::Special(_)))
            .count();
        // system (2) + user (2) + assistant header (1)
        assert_eq!(specials, 5);
        assert!(s.contains(&Segment::Text("user\nx<|im_end|>y".into())));
    }

    #[test]
    fn messages_serialize_like_openai() {
        let m: ChatMessage = serde_json::from_str(r#"{"role":"user","content":"hi"}"#).unwrap();
        assert_eq!(m, ChatMessage::user("hi"));
        assert_eq!(
            serde_json::to_string(&ChatMessage::assistant("ok")).unwrap(),
            r#"{"role":"assistant","content":"ok"}"#
        );
    }
}

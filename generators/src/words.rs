//! A built-in list of common English words (lowercase, letters only) for cipher plaintexts.
//! Built in rather than read from a file, so generated problems never depend on the machine.

pub(crate) const WORDS: &[&str] = &[
    "the", "be", "to", "of", "and", "a", "in", "that", "have", "it", "for", "not", "on", "with",
    "he", "as", "you", "do", "at", "this", "but", "his", "by", "from", "they", "we", "say", "her",
    "she", "or", "an", "will", "my", "one", "all", "would", "there", "their", "what", "so", "up",
    "out", "if", "about", "who", "get", "which", "go", "me", "when", "make", "can", "like", "time",
    "no", "just", "him", "know", "take", "people", "into", "year", "your", "good", "some", "could",
    "them", "see", "other", "than", "then", "now", "look", "only", "come", "its", "over", "think",
    "also", "back", "after", "use", "two", "how", "our", "work", "first", "well", "way", "even",
    "new", "want", "because", "any", "these", "give", "day", "most", "us", "able", "above",
    "across", "act", "add", "age", "ago", "agree", "air", "allow", "almost", "alone", "along",
    "already", "always", "among", "animal", "answer", "apple", "area", "arm", "army", "around",
    "art", "ask", "away", "baby", "bad", "ball", "bank", "bar", "base", "basket", "bear", "beat",
    "bed", "before", "begin", "behind", "believe", "bell", "best", "better", "between", "big",
    "bird", "black", "blue", "board", "boat", "body", "book", "born", "both", "bottom", "box",
    "boy", "bread", "break", "bright", "bring", "brother", "brown", "build", "burn", "busy", "buy",
    "call", "calm", "camp", "car", "card", "care", "carry", "case", "cat", "catch", "cause",
    "cell", "center", "chair", "chance", "change", "charge", "check", "child", "choose", "church",
    "circle", "city", "class", "clean", "clear", "climb", "clock", "close", "cloud", "coast",
    "cold", "color", "common", "cook", "cool", "copy", "corner", "cost", "count", "country",
    "course", "cover", "cow", "cross", "crowd", "cup", "cut", "dance", "dark", "daughter", "dead",
    "deal", "dear", "decide", "deep", "desk", "develop", "die", "dinner", "doctor", "dog", "door",
    "down", "draw", "dream", "dress", "drink", "drive", "drop", "dry", "during", "early", "earth",
    "east", "easy", "eat", "edge", "egg", "eight", "end", "enough", "enter", "equal", "evening",
    "ever", "every", "exact", "example", "eye", "face", "fact", "fair", "fall", "family", "far",
    "farm", "fast", "father", "fear", "feel", "few", "field", "fight", "figure", "fill", "final",
    "find", "fine", "finger", "finish", "fire", "fish", "five", "floor", "flower", "fly", "follow",
    "food", "foot", "force", "forest", "form", "four", "free", "fresh", "friend", "front", "fruit",
    "full", "game", "garden", "gas", "gather", "gentle", "girl", "glass", "gold", "grass", "gray",
    "great", "green", "ground", "group", "grow", "guess", "guide", "hair", "half", "hand", "happy",
    "hard", "hat", "head", "hear", "heart", "heat", "heavy", "help", "here", "high", "hill",
    "history", "hold", "hole", "home", "hope", "horse", "hot", "hour", "house", "huge", "human",
    "hundred", "hunt", "idea", "inch", "iron", "island", "join", "joy", "jump", "keep", "kind",
    "king", "kitchen", "lake", "land", "large", "last", "late", "laugh", "lead", "learn", "leave",
    "left", "leg", "letter", "level", "life", "lift", "light", "line", "list", "listen", "little",
    "live", "long", "lost", "loud", "love", "low", "machine", "main", "map", "mark", "market",
    "master", "match", "meat", "meet", "metal", "middle", "mile", "milk", "mind", "minute", "miss",
    "moon", "morning", "mother", "mountain", "mouth", "move", "music", "name", "near", "neck",
    "need", "never", "next", "night", "noise", "north", "note", "number", "ocean", "offer",
    "office", "often", "open", "order", "page", "paint", "paper", "park", "part", "party", "pass",
    "path", "pay", "pen", "pencil", "picture", "piece", "place", "plain", "plan", "plant", "play",
    "point", "poor", "power", "press", "pretty", "problem", "pull", "push", "quick", "quiet",
    "rain", "reach", "read", "ready", "real", "red", "remember", "rest", "rich", "ride", "right",
    "river", "road", "rock", "room", "root", "rope", "round", "row", "rule", "run", "safe", "sail",
    "salt", "same", "sand", "save", "school", "science", "sea", "season", "seat", "second", "seed",
    "sell", "send", "sense", "seven", "shape", "share", "sharp", "ship", "shoe", "shop", "short",
    "show", "side", "sign", "silver", "simple", "sing", "sister", "sit", "six", "size", "skin",
    "sky", "sleep", "slow", "small", "smile", "snow", "soft", "soil", "son", "song", "sound",
    "south", "space", "speak", "speed", "spell", "spring", "square", "stand", "star", "start",
    "state", "station", "stay", "step", "stick", "still", "stone", "stop", "store", "storm",
    "story", "straight", "street", "strong", "study", "sugar", "summer", "sun", "sure", "swim",
    "table", "tail", "talk", "tall", "teach", "team", "tell", "ten", "test", "thank", "thick",
    "thin", "thing", "three", "throw", "tiny", "today", "together", "tomorrow", "tone", "tool",
    "top", "touch", "tower", "town", "track", "trade", "train", "tree", "trip", "true", "try",
    "turn", "under", "until", "valley", "very", "voice", "wait", "walk", "wall", "warm", "wash",
    "watch", "water", "wave", "weather", "week", "weight", "west", "wheel", "white", "whole",
    "wide", "wild", "win", "wind", "window", "winter", "wire", "wish", "woman", "wonder", "wood",
    "word", "world", "write", "yard", "yellow", "young",
];

#[cfg(test)]
mod tests {
    #[test]
    fn words_are_lowercase_letters_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for w in super::WORDS {
            assert!(
                !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()),
                "{w}"
            );
            assert!(seen.insert(*w), "duplicate {w}");
        }
        assert!(super::WORDS.len() >= 300);
    }
}

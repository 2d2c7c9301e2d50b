//! Country (and organisation) codes as small dense ids: what the aggregates and the store's
//! columns key on.

use super::HashMap;

/// Interned country (or organisation) codes; id 0 is "none".
#[derive(Debug, Clone)]
pub struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner::new()
    }
}

impl Interner {
    pub(crate) fn new() -> Self {
        Interner { ids: HashMap::default(), names: vec![String::new()] }
    }
    pub(crate) fn intern(&mut self, s: Option<&str>) -> u32 {
        let Some(s) = s else { return 0 };
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }
    /// The id of a code, if any event has it.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
    /// The code of an id (`""` for none).
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }
}

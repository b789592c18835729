//! An order-free digest: the count of items and the wrapping sum of a hash of each, so that two
//! replicas holding the same items in another order (another insertion history, another
//! segment layout) agree, and one item more, less or different shows.

use sha2::{Digest, Sha256};

/// Accumulates items into a digest.
#[derive(Debug, Default, Clone, Copy)]
pub struct OrderFree {
    count: u64,
    sum: u64,
}

impl OrderFree {
    pub fn add(&mut self, item: &[u8]) {
        let h = Sha256::digest(item);
        let mut first = [0u8; 8];
        first.copy_from_slice(&h[..8]);
        self.sum = self.sum.wrapping_add(u64::from_le_bytes(first));
        self.count += 1;
    }

    /// `count:sum` in hex.
    pub fn finish(&self) -> String {
        format!("{}:{:016x}", self.count, self.sum)
    }
}

#[cfg(test)]
mod tests {
    use super::OrderFree;

    #[test]
    fn the_order_does_not_matter_and_every_item_does() {
        let of = |items: &[&str]| {
            let mut d = OrderFree::default();
            for i in items {
                d.add(i.as_bytes());
            }
            d.finish()
        };
        assert_eq!(of(&["a", "b", "c"]), of(&["c", "a", "b"]));
        assert_ne!(of(&["a", "b", "c"]), of(&["a", "b"]));
        assert_ne!(of(&["a", "b", "c"]), of(&["a", "b", "d"]));
        assert_eq!(of(&[]), "0:0000000000000000");
    }
}

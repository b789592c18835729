//! Bitsets of the documents of a segment, one bit per document in words of 64: the form in
//! which a search pass matches, filters and counts.

use tantivy::DocId;

#[inline]
pub fn set_bit(set: &mut [u64], doc: DocId) {
    let d = doc as usize;
    if let Some(w) = set.get_mut(d / 64) {
        *w |= 1 << (d % 64);
    }
}

#[inline]
pub fn clear_bit(set: &mut [u64], doc: DocId) {
    let d = doc as usize;
    if let Some(w) = set.get_mut(d / 64) {
        *w &= !(1 << (d % 64));
    }
}

#[inline]
pub fn has_bit(set: &[u64], doc: DocId) -> bool {
    let d = doc as usize;
    set.get(d / 64).is_some_and(|w| w & (1 << (d % 64)) != 0)
}

/// The positions of the set bits of a run of words, in order.
pub fn set_bits(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(w, &m)| {
        let mut x = m;
        std::iter::from_fn(move || {
            if x == 0 {
                return None;
            }
            let bit = x.trailing_zeros() as usize;
            x &= x - 1;
            Some(w * 64 + bit)
        })
    })
}

//! Mutations of seed inputs, as a proptest strategy: the byte-level edits a mutational fuzzer
//! makes (bit flips, overwrites, inserts, deletes, truncations, splices of another seed),
//! stacked up to eight deep, plus plain random bytes.

use proptest::prelude::*;

/// One edit of an input.
#[derive(Clone, Debug)]
pub(crate) enum Edit {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
    Splice(usize, usize),
    /// Repeats a range: grows length fields' targets without growing the fields.
    Repeat(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Edit::Flip(at, bit)),
        (any::<usize>(), prop_oneof![Just(0u8), Just(0x7f), Just(0x80), Just(0xff), any::<u8>()])
            .prop_map(|(at, b)| Edit::Set(at, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Insert(at, b)),
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), any::<usize>()).prop_map(|(seed, at)| Edit::Splice(seed, at)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Edit::Repeat(at, n)),
    ]
}

/// Inputs derived from `seeds`: a seed with up to eight edits, or (one case in eight) random bytes.
pub(crate) fn inputs(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    let mutated = (0..n, proptest::collection::vec(edit(), 0..8)).prop_map(move |(i, edits)| {
        let mut input = seeds[i].clone();
        for e in &edits {
            apply(&mut input, e, &seeds);
        }
        input
    });
    prop_oneof![7 => mutated, 1 => proptest::collection::vec(any::<u8>(), 0..128)]
}

fn apply(input: &mut Vec<u8>, edit: &Edit, seeds: &[Vec<u8>]) {
    let len = input.len();
    let at = |i: usize| if len == 0 { 0 } else { i % len };
    match *edit {
        Edit::Flip(i, bit) if len > 0 => input[at(i)] ^= 1 << bit,
        Edit::Set(i, b) if len > 0 => input[at(i)] = b,
        Edit::Insert(i, b) => input.insert(i % (len + 1), b),
        Edit::Delete(i) if len > 0 => {
            input.remove(at(i));
        }
        Edit::Truncate(i) => input.truncate(i % (len + 1)),
        Edit::Splice(s, i) => {
            let other = &seeds[s % seeds.len()];
            let cut = i % (len + 1);
            input.truncate(cut);
            input.extend_from_slice(&other[i % (other.len() + 1)..]);
        }
        Edit::Repeat(i, n) if len > 0 => {
            let start = at(i);
            let chunk: Vec<u8> = input[start..(start + n).min(len)].to_vec();
            input.splice(start..start, chunk);
        }
        _ => {}
    }
}

//===- SymbolMerger.h - Greedy merging of adjacent text pieces -*- C++ -*-===//
//
// Both tokenizers start from one symbol per character and repeatedly merge
// the best adjacent pair: SentencePiece by the merged piece's score, BPE by
// the pair's merge rank. A heap keeps this O(n log n), so a long word or
// whitespace run costs no more than many short ones.
//
//===----------------------------------------------------------------------===//

#ifndef XFRT_LIB_SYMBOLMERGER_H
#define XFRT_LIB_SYMBOLMERGER_H

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace xfrt::detail {

/// A byte range of the text being merged, linked to its live neighbours.
/// A symbol merged into its left neighbour has length 0.
struct Symbol {
  static constexpr size_t none = static_cast<size_t>(-1);
  size_t start = 0, length = 0;
  size_t prev = none, next = none;
};

/// Merges adjacent symbols of one text at a time; reusing one merger across
/// texts reuses its buffers. `Priority`: lower merges first.
template <typename Priority> class SymbolMerger {
public:
  /// Splits `text` into one symbol per unit (`unitLengths` tile the text),
  /// then merges until no pair qualifies. `priorityOf(left, right)` gives a
  /// pair's priority, or nullopt if it never merges; ties go to the
  /// leftmost pair. Returns the symbols: the live ones are reachable from
  /// the first through `next`.
  template <typename PriorityOf>
  const std::vector<Symbol> &merge(std::string_view text,
                                   const std::vector<size_t> &unitLengths,
                                   PriorityOf priorityOf) {
    symbols.resize(unitLengths.size());
    size_t start = 0;
    for (size_t i = 0; i < symbols.size(); ++i) {
      symbols[i] = {start, unitLengths[i], i == 0 ? Symbol::none : i - 1,
                    i + 1 == symbols.size() ? Symbol::none : i + 1};
      start += unitLengths[i];
    }

    heap.clear();
    auto consider = [&](size_t left, size_t right) {
      if (left == Symbol::none || right == Symbol::none)
        return;
      const Symbol &l = symbols[left], &r = symbols[right];
      std::optional<Priority> priority = priorityOf(
          text.substr(l.start, l.length), text.substr(r.start, r.length));
      if (!priority)
        return;
      heap.push_back({*priority, left, right, l.length + r.length});
      std::push_heap(heap.begin(), heap.end(), Worse());
    };
    for (size_t i = 0; i + 1 < symbols.size(); ++i)
      consider(i, i + 1);

    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), Worse());
      Candidate c = heap.back();
      heap.pop_back();
      Symbol &l = symbols[c.left];
      Symbol &r = symbols[c.right];
      // Either side merged elsewhere since this pair was queued.
      if (l.length == 0 || r.length == 0 || l.next != c.right ||
          l.length + r.length != c.length)
        continue;
      l.length += r.length;
      r.length = 0;
      l.next = r.next;
      if (l.next != Symbol::none)
        symbols[l.next].prev = c.left;
      consider(l.prev, c.left);
      consider(c.left, l.next);
    }
    return symbols;
  }

private:
  struct Candidate {
    Priority priority;
    size_t left, right;
    size_t length; // of left + right when queued: detects stale entries
  };
  /// Heap order: the top is the lowest priority, then the leftmost.
  struct Worse {
    bool operator()(const Candidate &a, const Candidate &b) const {
      if (a.priority != b.priority)
        return b.priority < a.priority;
      return a.left > b.left;
    }
  };

  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
};

} // namespace xfrt::detail

#endif // XFRT_LIB_SYMBOLMERGER_H

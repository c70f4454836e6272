package offline

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRecallAt(t *testing.T) {
	pos := map[int32]bool{2: true, 5: true, 9: true, 11: true}
	ranked := []int32{5, 1, 2, 7, 9}
	// Hits at ranks 1, 3 and 5 of four positives.
	if got := recallAt(ranked, pos, 3); !near(got, 2.0/4) {
		t.Errorf("Recall@3 = %v, want 0.5", got)
	}
	if got := recallAt(ranked, pos, 10); !near(got, 3.0/4) {
		t.Errorf("Recall@10 = %v, want 0.75", got)
	}
	if got := recallAt(ranked, map[int32]bool{}, 10); got != 0 {
		t.Errorf("Recall with no positives = %v, want 0", got)
	}
}

func TestNDCGAtBinary(t *testing.T) {
	pos := map[int32]bool{2: true, 5: true, 9: true}
	ranked := []int32{5, 1, 2, 7}
	gain, ideal := binaryGain(pos)
	// DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG@4 over three positives = 1 + 1/log2(3) + 1/2.
	want := 1.5 / (1 + 1/math.Log2(3) + 0.5)
	if got := ndcgAt(ranked, gain, ideal, 4); !near(got, want) {
		t.Errorf("NDCG@4 = %v, want %v", got, want)
	}
	// At k=1 only the first slot counts, and it is a hit.
	if got := ndcgAt(ranked, gain, ideal, 1); !near(got, 1) {
		t.Errorf("NDCG@1 = %v, want 1", got)
	}
	if got := ndcgAt([]int32{1, 7}, gain, ideal, 2); got != 0 {
		t.Errorf("NDCG with no hits = %v, want 0", got)
	}
}

func TestNDCGAtWatchGain(t *testing.T) {
	gains := map[int32]float64{3: 2, 4: 0.5}
	gain, ideal := weightedGain(gains)
	ranked := []int32{4, 3}
	// DCG = 0.5/1 + 2/log2(3); ideal order puts the 2 first: 2 + 0.5/log2(3).
	want := (0.5 + 2/math.Log2(3)) / (2 + 0.5/math.Log2(3))
	if got := ndcgAt(ranked, gain, ideal, 2); !near(got, want) {
		t.Errorf("watch NDCG@2 = %v, want %v", got, want)
	}
}

func TestNegativeShareAndCoverage(t *testing.T) {
	neg := map[int32]bool{1: true, 7: true}
	if got := negativeShareAt([]int32{1, 2, 7, 8}, neg, 4); !near(got, 0.5) {
		t.Errorf("negative share = %v, want 0.5", got)
	}
	// A short list still has k slots.
	if got := negativeShareAt([]int32{1}, neg, 4); !near(got, 0.25) {
		t.Errorf("negative share of a short list = %v, want 0.25", got)
	}
	lists := [][]int32{{1, 2}, {2, 3}, {}}
	if got := coverage(lists, 6); !near(got, 0.5) {
		t.Errorf("coverage = %v, want 0.5", got)
	}
}

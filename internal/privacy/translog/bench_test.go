package translog

import (
	"context"
	"math/rand/v2"
	"testing"
)

const benchEntries = 100_000

// filledFixture returns a log of n entries, appended in batches to keep setup short.
func filledFixture(b *testing.B, n int) *fixture {
	b.Helper()
	f := newFixture(b)
	ctx := context.Background()
	batch := make([]Entry, 0, 1000)
	for i := range n {
		batch = append(batch, accessBy(i))
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := f.log.AppendBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return f
}

// BenchmarkAppend measures one entry per store write on a log already holding 100k entries
// (in memory, so it is the cost of validation, encoding and hashing, not of a database).
func BenchmarkAppend(b *testing.B) {
	f := filledFixture(b, benchEntries)
	ctx := context.Background()
	b.ReportAllocs()
	i := benchEntries
	for b.Loop() {
		if _, err := f.log.Append(ctx, accessBy(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAppendBatch100 measures 100 entries per store write; ns/op is per entry.
func BenchmarkAppendBatch100(b *testing.B) {
	f := filledFixture(b, benchEntries)
	ctx := context.Background()
	batch := make([]Entry, 100)
	b.ReportAllocs()
	i := benchEntries
	for b.Loop() {
		for j := range batch {
			batch[j] = accessBy(i)
			i++
		}
		if _, err := f.log.AppendBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i-benchEntries), "ns/entry")
}

// BenchmarkInclusionProof measures building one proof for a random entry of a 100k log.
func BenchmarkInclusionProof(b *testing.B) {
	f := filledFixture(b, benchEntries)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.log.InclusionProof(ctx, rng.Uint64N(benchEntries), benchEntries); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConsistencyProof measures a proof between two random sizes of a 100k log.
func BenchmarkConsistencyProof(b *testing.B) {
	f := filledFixture(b, benchEntries)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	b.ReportAllocs()
	for b.Loop() {
		size1 := 1 + rng.Uint64N(benchEntries-1)
		if _, err := f.log.ConsistencyProof(ctx, size1, benchEntries); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAudit measures a full audit of a 100k log with one checkpoint.
func BenchmarkAudit(b *testing.B) {
	f := filledFixture(b, benchEntries)
	if _, err := f.log.Checkpoint(context.Background()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := Audit(context.Background(), f.store, f.verifierKey)
		if err != nil || !r.OK() {
			b.Fatal(err, r)
		}
	}
}

package recsys

// table is a parameter table in the style of ByteDance's Monolith. Every ID owns its own row
// (IDs are interned through a map into dense indexes, so there are no hash collisions between
// IDs), a row is created only once its ID has occurred minCount times (frequency filtering:
// one-off IDs never take memory or noise), and rows of IDs not seen for the expiry window are
// freed and their occurrence count restarted.
type table struct {
	dim      int
	minCount uint32
	adagrad  bool
	slotOf   []int32  // dense id → slot, -1 when the id has no row
	count    []uint32 // occurrences since the id last lost its row
	ids      []int32  // slot → dense id, -1 for a free slot
	last     []int64  // slot → time the id was last seen
	vals     []float32
	acc      []float32 // AdaGrad squared-gradient sums, same shape as vals (when adagrad)
	free     []int32   // free slots, reused last-in first-out
}

func newTable(dim, minCount int, adagrad bool) *table {
	return &table{dim: dim, minCount: uint32(minCount), adagrad: adagrad}
}

func (t *table) grow(n int) {
	for len(t.slotOf) < n {
		t.slotOf = append(t.slotOf, -1)
		t.count = append(t.count, 0)
	}
}

// touch records an occurrence of id at time now and returns its slot, creating the row
// (filled by init) when the id reaches the frequency threshold; -1 while it has not.
func (t *table) touch(id int32, now int64, init func(row []float32)) int32 {
	t.grow(int(id) + 1)
	if t.count[id] < ^uint32(0) {
		t.count[id]++
	}
	if s := t.slotOf[id]; s >= 0 {
		t.last[s] = now
		return s
	}
	if t.count[id] < t.minCount {
		return -1
	}
	var s int32
	if n := len(t.free); n > 0 {
		s = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		s = int32(len(t.ids))
		t.ids = append(t.ids, 0)
		t.last = append(t.last, 0)
		t.vals = append(t.vals, make([]float32, t.dim)...)
		if t.adagrad {
			t.acc = append(t.acc, make([]float32, t.dim)...)
		}
	}
	t.ids[s], t.last[s], t.slotOf[id] = id, now, s
	row := t.vals[int(s)*t.dim : int(s+1)*t.dim]
	for k := range row {
		row[k] = 0
	}
	if t.adagrad {
		acc := t.acc[int(s)*t.dim : int(s+1)*t.dim]
		for k := range acc {
			acc[k] = 0
		}
	}
	if init != nil {
		init(row)
	}
	return s
}

// slot returns id's slot or -1.
func (t *table) slot(id int32) int32 {
	if id < 0 || int(id) >= len(t.slotOf) {
		return -1
	}
	return t.slotOf[id]
}

// row returns the parameters of a slot.
func (t *table) row(s int32) []float32 { return t.vals[int(s)*t.dim : int(s+1)*t.dim] }

func (t *table) accRow(s int32) []float32 { return t.acc[int(s)*t.dim : int(s+1)*t.dim] }

// drop frees id's row and restarts its occurrence count.
func (t *table) drop(id int32) {
	if id < 0 || int(id) >= len(t.slotOf) {
		return
	}
	t.count[id] = 0
	s := t.slotOf[id]
	if s < 0 {
		return
	}
	t.slotOf[id] = -1
	t.ids[s] = -1
	t.free = append(t.free, s)
}

// expire drops every row last seen before cutoff, in slot order (deterministic).
func (t *table) expire(cutoff int64) int {
	n := 0
	for s, id := range t.ids {
		if id >= 0 && t.last[s] < cutoff {
			t.drop(id)
			n++
		}
	}
	return n
}

// rows is the number of live rows.
func (t *table) rows() int { return len(t.ids) - len(t.free) }

package db

import "context"

// Exec runs a statement in the transaction, for the tests of InTx.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := tx.exec(ctx, query, args...)
	return err
}

// SetFoldRead runs f between reading a fold's batch and its transaction, until the test ends.
func SetFoldRead(t interface{ Cleanup(func()) }, f func()) {
	foldRead = f
	t.Cleanup(func() { foldRead = nil })
}

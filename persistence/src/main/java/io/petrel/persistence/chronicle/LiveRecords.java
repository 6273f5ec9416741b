package io.petrel.persistence.chronicle;

/**
 * The live records of a journal, tracked by their journal index, so that compaction can copy them
 * without keeping their contents in memory. A record is live while replaying the journal needs it to
 * rebuild the store's state; the others are dead.
 *
 * <p>Threads: not thread-safe. The writer thread owns the instance of the current generation, and
 * compaction fills the instance of the next one on its own thread before it hands it to the writer
 * thread.
 */
interface LiveRecords {

    /**
     * Updates the live set with the record appended at {@code index}.
     *
     * @throws RecordReader.CorruptRecordException if the record cannot be decoded
     */
    void track(byte[] record, long index);

    /**
     * Prepares for tracking up to {@code records} records, for example by sizing a map up front, so
     * that reading a large journal at open does not grow it step by step. Does nothing by default.
     */
    default void reserve(long records) {
    }

    /** Returns the number of live records. */
    long count();

    /**
     * Returns the journal indices of the live records in the order compaction copies them: replaying
     * the copies in this order rebuilds the same state.
     */
    long[] copyOrder();
}

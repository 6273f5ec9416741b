package io.petrel.api.store;

/**
 * Counts of a store's writes, which a store may implement so that the broker can publish them as
 * metrics. Every method is thread-safe and returns a count that only grows while the store is open.
 */
public interface StoreWriteStatistics {

    /**
     * Returns the records rejected because the data directory reached its size cap or its file
     * system ran short of free space, since the store was opened.
     */
    long rejectedWrites();
}

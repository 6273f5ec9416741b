package io.petrel.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of dead letters, in the order they were stored, and the cursor of the next page.
 */
public final class DeadLetterPage {

    private final List<DeadLetter> letters;
    private final String nextCursor;

    /**
     * Creates a page.
     *
     * @param letters    the letters of this page, oldest first
     * @param nextCursor the opaque cursor that continues after the last letter of this page, or null
     *                   when the store held no further matching letter
     */
    public DeadLetterPage(List<DeadLetter> letters, String nextCursor) {
        this.letters = List.copyOf(Objects.requireNonNull(letters, "letters"));
        this.nextCursor = nextCursor;
    }

    /** Returns the letters of this page, oldest first. */
    public List<DeadLetter> letters() {
        return letters;
    }

    /**
     * Returns the cursor to pass for the next page, or empty when this is the last page. Letters
     * stored after this page was read appear on later pages.
     */
    public Optional<String> nextCursor() {
        return Optional.ofNullable(nextCursor);
    }

    @Override
    public String toString() {
        return "DeadLetterPage{letters=" + letters.size() + ", nextCursor=" + nextCursor + '}';
    }
}

package dev.cutover.flags.internal;

/**
 * The one check of a read percentage, shared by the state builder, the flip methods (which check
 * before they store) and the OpenFeature store (which checks what the provider answers).
 */
public final class Percentages {
    private Percentages() {
    }

    /**
     * Converts a percentage to hundredths of a percent, rejecting what cannot be represented.
     *
     * @param field the field name, for the message
     * @param percent the percentage
     * @return the percentage in hundredths, 0 to 10,000
     * @throws IllegalArgumentException naming the field and the allowed values
     */
    public static int toBasisPoints(String field, double percent) {
        if (!Double.isFinite(percent) || percent < 0 || percent > 100) {
            throw new IllegalArgumentException(field + " must be between 0 and 100, but was " + percent);
        }
        long basisPoints = Math.round(percent * 100);
        if (Math.abs(basisPoints - percent * 100) > 1e-6) {
            throw new IllegalArgumentException(field + " must be a multiple of 0.01 (the finest step), but was " + percent);
        }
        return (int) basisPoints;
    }
}

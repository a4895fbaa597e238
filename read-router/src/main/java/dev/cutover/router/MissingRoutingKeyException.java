package dev.cutover.router;

import dev.cutover.common.CutoverException;

/**
 * Thrown when a read has no routing key although the router was configured to require one
 * ({@link ReadRouterConfig.Builder#requireRoutingKey(boolean)}).
 */
public class MissingRoutingKeyException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param migration the migration
     * @param operation the read that had no key
     */
    public MissingRoutingKeyException(String migration, String operation) {
        super("Read '" + operation + "' of migration " + migration + " has no routing key, but the read router"
                + " requires one (ReadRouterConfig requireRoutingKey=true), so that each key always reads from"
                + " the same side. Pass the key (e.g. the tenant or entity id) to the read, or build the router"
                + " with requireRoutingKey(false) to split keyless reads at random.");
    }
}

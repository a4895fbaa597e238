package dev.cutover.examples.heterogeneous;

import dev.cutover.dualwrite.Read;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.Write;

/**
 * The application's customer repository, the interface Cutover wraps. Its writes speak the legacy
 * model on both sides (routing keys are always the source's keys); its read {@link #find} is asked
 * of the new schema with the new schema's UUID, and Cutover translates (see
 * {@link HeterogeneousMigration#customers}).
 */
public interface Customers {
    /**
     * Registers a customer under an id the application allocated.
     *
     * @param id the legacy id: Cutover needs the key before the write, so ids are allocated up front
     *     rather than by the legacy table's {@code AUTO_INCREMENT}
     * @param name the full name
     * @param status the status code
     * @param email the e-mail address
     */
    @Write
    void register(@RoutingKey String id, String name, String status, String email);

    /**
     * Changes a customer's name.
     *
     * @param id the legacy id
     * @param name the new full name
     */
    @Write
    void rename(@RoutingKey String id, String name);

    /**
     * Changes a customer's status.
     *
     * @param id the legacy id
     * @param status the new status code
     */
    @Write
    void changeStatus(@RoutingKey String id, String status);

    /**
     * Deletes a customer.
     *
     * @param id the legacy id
     */
    @Write
    void remove(@RoutingKey String id);

    /**
     * Finds a customer.
     *
     * @param id the legacy id (the new schema's implementation takes its UUID)
     * @return the customer, or null
     */
    @Read
    Customer find(@RoutingKey String id);
}

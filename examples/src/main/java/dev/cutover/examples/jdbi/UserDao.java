package dev.cutover.examples.jdbi;

import dev.cutover.dualwrite.RoutingKey;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * An ordinary JDBI SqlObject DAO, as the application had it before the migration. The only change
 * Cutover needs is {@link RoutingKey} on the parameter that names the row: it tells Cutover which
 * row a write changed (so that row can be copied to the other database) and which key a read is
 * for (so a key is always read from the same side while reads shift).
 *
 * <p>Cutover classifies the methods by their JDBI annotations: {@code @SqlQuery} is a read,
 * {@code @SqlUpdate}, {@code @SqlBatch} and {@code @SqlCall} are writes.
 */
public interface UserDao {
    /**
     * Adds a user.
     *
     * @param id the key
     * @param email the e-mail address
     * @param name the display name
     */
    @SqlUpdate("INSERT INTO users (id, email, name, karma) VALUES (:id, :email, :name, 0)")
    void insert(@RoutingKey @Bind("id") long id, @Bind("email") String email, @Bind("name") String name);

    /**
     * Renames a user.
     *
     * @param id the key
     * @param name the new name
     * @return rows changed
     */
    @SqlUpdate("UPDATE users SET name = :name WHERE id = :id")
    int rename(@RoutingKey @Bind("id") long id, @Bind("name") String name);

    /**
     * Adds to a user's karma in SQL. Replaying this statement on the other database would double
     * count after a retry; Cutover never replays it, it copies the row's resulting state.
     *
     * @param id the key
     * @param points the points to add
     * @return rows changed
     */
    @SqlUpdate("UPDATE users SET karma = karma + :points WHERE id = :id")
    int addKarma(@RoutingKey @Bind("id") long id, @Bind("points") int points);

    /**
     * Deletes a user; the copy to the other side deletes the row there too.
     *
     * @param id the key
     * @return rows deleted
     */
    @SqlUpdate("DELETE FROM users WHERE id = :id")
    int delete(@RoutingKey @Bind("id") long id);

    /**
     * Finds a user.
     *
     * @param id the key
     * @return the user, if any
     */
    @SqlQuery("SELECT id, email, name, karma FROM users WHERE id = :id")
    @RegisterConstructorMapper(User.class)
    Optional<User> find(@RoutingKey @Bind("id") long id);

    /**
     * Counts the users: a read without a routing key, which the router splits at random while reads
     * shift.
     *
     * @return the number of users
     */
    @SqlQuery("SELECT COUNT(*) FROM users")
    long count();
}

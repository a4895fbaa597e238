package dev.cutover.examples.flags;

import dev.cutover.dualwrite.RoutingKey;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The running application's DAO: JDBI SqlObject, with {@link RoutingKey} naming the row. */
public interface ProfileDao {
    /**
     * Counts a visit.
     *
     * @param id the key
     * @return rows changed
     */
    @SqlUpdate("UPDATE profiles SET visits = visits + 1 WHERE id = :id")
    int visit(@RoutingKey @Bind("id") long id);

    /**
     * Finds a profile.
     *
     * @param id the key
     * @return the profile, if any
     */
    @SqlQuery("SELECT id, name, visits FROM profiles WHERE id = :id")
    @RegisterConstructorMapper(Profile.class)
    Optional<Profile> find(@RoutingKey @Bind("id") long id);
}

package dev.cutover.dualwrite.internal.jdbc;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Wraps the driver's result sets and metadata that Cutover hands to the application, as a pool's
 * wrapper does, so that none of them leads back to the driver's statement or connection
 * ({@link ResultSet#getStatement()}, {@link DatabaseMetaData#getConnection()}, {@code unwrap}): SQL
 * run on those would bypass the mirror.
 */
final class DriverObjects {
    private DriverObjects() {
    }

    /**
     * @param rs a result set of the driver, or null
     * @param owner what {@link ResultSet#getStatement()} answers: the wrapped statement, or null for metadata
     * @return the wrapped result set, or null
     */
    static ResultSet resultSet(ResultSet rs, Statement owner) {
        if (rs == null) {
            return null;
        }
        return (ResultSet) Proxy.newProxyInstance(DriverObjects.class.getClassLoader(), new Class<?>[] {ResultSet.class},
                (self, method, args) -> switch (method.getName()) {
                    case "getStatement" -> owner;
                    case "unwrap" -> ConnectionHandler.unwrapSelf(self, (Class<?>) args[0], "result set");
                    case "isWrapperFor" -> ((Class<?>) args[0]).isInstance(self);
                    case "equals" -> self == args[0];
                    case "hashCode" -> System.identityHashCode(self);
                    default -> PhysicalStatements.forward(rs, method, args);
                });
    }

    /**
     * @param meta the driver's metadata
     * @param connection the wrapped connection it answers for
     * @return the wrapped metadata
     */
    static DatabaseMetaData metaData(DatabaseMetaData meta, Connection connection) {
        return (DatabaseMetaData) Proxy.newProxyInstance(DriverObjects.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class}, (self, method, args) -> {
                    switch (method.getName()) {
                        case "getConnection":
                            return connection;
                        case "unwrap":
                            return ConnectionHandler.unwrapSelf(self, (Class<?>) args[0], "metadata");
                        case "isWrapperFor":
                            return ((Class<?>) args[0]).isInstance(self);
                        case "equals":
                            return self == args[0];
                        case "hashCode":
                            return System.identityHashCode(self);
                        default:
                            Object answer = PhysicalStatements.forward(meta, method, args);
                            // JDBC lets a metadata result set answer null for its statement.
                            return answer instanceof ResultSet rs ? resultSet(rs, null) : answer;
                    }
                });
    }
}

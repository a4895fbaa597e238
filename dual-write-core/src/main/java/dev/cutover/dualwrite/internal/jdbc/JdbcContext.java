package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.common.Dialect;
import dev.cutover.common.internal.Redaction;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the connections of one {@code CutoverDataSource} share: the two databases, its
 * migrations (each with its table mappings, read router and write protocol), the pass-through
 * tables and the SQL analyses. Immutable and thread-safe.
 */
public final class JdbcContext {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcContext.class);

    private final DataSource source;
    private final DataSource target;
    private final List<Part> parts;
    private final List<String> migrations;
    private final Function<List<String>, List<Stage>> stages;
    private final Map<String, TableMapping> bySourceTable = new LinkedHashMap<>();
    private final Map<String, TableMapping> byTargetTable = new LinkedHashMap<>();
    private final Map<TableMapping, Part> partOf = new IdentityHashMap<>();
    private final Map<String, Part> byName = new LinkedHashMap<>();
    private final Set<String> passThrough;
    private final SqlAnalyzer analyzer = new SqlAnalyzer();
    private final WritingFunctions writingFunctions = new WritingFunctions();
    private final ReferencingKeys referencingKeys = new ReferencingKeys();
    private final AutoIncrementColumns autoIncrementColumns = new AutoIncrementColumns();
    private final Map<Side, List<String>> homeNamespaces = new java.util.concurrent.ConcurrentHashMap<>();
    private final boolean logValues;
    private final boolean crossDialectReads;
    /** Whether both sides speak one dialect; null until known. */
    private volatile Boolean sameDialect;

    /**
     * One migration of the data source.
     *
     * @param migration its name
     * @param router routes reads of its tables
     * @param protocol the dual-write core's side of the protocol, for its writes
     * @param mappings its mapped entities
     */
    public record Part(String migration, ReadRouter router, WriteProtocol protocol, Collection<TableMapping> mappings) {
    }

    /**
     * @param source the source database
     * @param target the target database
     * @param parts the migrations, each table in one of them only (see {@link #tableConflicts}); the
     *     first one counts the writes of tables no migration maps
     * @param stages reads the current stages of the named migrations, all from one snapshot of the flags
     * @param passThrough tables written on the primary only, in any case
     * @param logValues whether messages may quote the application's SQL with its literals
     * @param crossDialectReads whether reads go through the router also when the sides' dialects differ
     */
    public JdbcContext(DataSource source, DataSource target, List<Part> parts,
            Function<List<String>, List<Stage>> stages, Collection<String> passThrough, boolean logValues,
            boolean crossDialectReads) {
        this.crossDialectReads = crossDialectReads;
        this.source = source;
        this.target = target;
        this.parts = List.copyOf(parts);
        this.migrations = parts.stream().map(Part::migration).toList();
        this.stages = stages;
        this.logValues = logValues;
        for (Part part : parts) {
            byName.put(part.migration(), part);
            for (TableMapping mapping : part.mappings()) {
                bySourceTable.put(SqlAnalyzer.normalise(mapping.sourceTable()), mapping);
                byTargetTable.put(SqlAnalyzer.normalise(mapping.targetTable()), mapping);
                partOf.put(mapping, part);
            }
        }
        this.passThrough = passThrough.stream().map(SqlAnalyzer::normalise).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Names the tables that more than one migration maps: a table's keys are copied by the one
     * migration that declares it, and its writes are fenced by that migration's stage.
     *
     * @param parts the migrations
     * @return one problem per such table, empty if none
     */
    public static List<String> tableConflicts(List<Part> parts) {
        List<String> problems = new ArrayList<>();
        Map<String, String> owner = new LinkedHashMap<>();
        for (Part part : parts) {
            for (TableMapping mapping : part.mappings()) {
                for (String table : new LinkedHashSet<>(List.of(SqlAnalyzer.normalise(mapping.sourceTable()),
                        SqlAnalyzer.normalise(mapping.targetTable())))) {
                    String first = owner.putIfAbsent(table, part.migration());
                    if (first != null && !first.equals(part.migration())) {
                        problems.add("table " + table + " is mapped by migration " + first + " and by migration "
                                + part.migration() + ": each table belongs to one migration, whose stage decides its"
                                + " writes; map it in one of them only");
                    }
                }
            }
        }
        return problems;
    }

    /**
     * Opens a wrapped connection on the current primary.
     *
     * @param user the user for both databases, or null for their defaults
     * @param password the password, or null
     * @return the wrapped connection
     * @throws SQLException if the primary cannot be reached
     */
    public Connection connect(String user, String password) throws SQLException {
        ConnectionHandler handler = new ConnectionHandler(this, user, password);
        Connection proxy = (Connection) Proxy.newProxyInstance(JdbcContext.class.getClassLoader(),
                new Class<?>[] {Connection.class}, handler);
        handler.open(proxy);
        return proxy;
    }

    /**
     * Whether a read may go through the router, i.e. to the other side too: the application's SQL is
     * written for the primary's dialect, so by default only when both sides speak the same one.
     * Learnt once, from the caller's connection and one connection of the other side; while that
     * cannot be learnt, reads stay on the primary.
     *
     * @param physical the caller's connection to the primary, or null
     * @param side the side it is connected to
     */
    boolean readsMayCross(Connection physical, Side side) {
        Boolean same = sameDialect;
        if (same == null) {
            try {
                Dialect here = physical != null ? Dialect.detect(physical) : Dialect.detect(dataSource(side));
                Dialect there = Dialect.detect(dataSource(side.other()));
                same = here == there;
                if (!same) {
                    LOG.warn("Migrations {}: the {} speaks {} and the {} {}; {}", migrations, side, here, side.other(),
                            there, crossDialectReads ? "reads are routed anyway (crossDialectReads)"
                                    : "the application's SQL is written for one dialect, so its reads stay on the"
                                            + " primary and go no further (README, \"Two wrapping styles\")");
                }
                sameDialect = same;
            } catch (SQLException | RuntimeException e) {
                LOG.debug("Migrations {}: cannot learn the dialects yet, reads stay on the primary", migrations, e);
                return false;
            }
        }
        return same || crossDialectReads;
    }

    DataSource dataSource(Side side) {
        return side == Side.SOURCE ? source : target;
    }

    /** @return the migrations' names, in the order they were declared */
    List<String> migrations() {
        return migrations;
    }

    /** @return the current stages of every migration, read together */
    Stages stages() {
        return new Stages(migrations, stages.apply(migrations));
    }

    /**
     * @param mapping a mapping of one of the migrations
     * @return the migration that declares it
     */
    Part part(TableMapping mapping) {
        return partOf.get(mapping);
    }

    /**
     * @param migration one of the migrations
     * @return its side of the write protocol
     */
    WriteProtocol protocol(String migration) {
        return byName.get(migration).protocol();
    }

    /** @return the migration that counts the writes of tables no migration maps: the first one */
    Part first() {
        return parts.get(0);
    }

    boolean logValues() {
        return logValues;
    }

    /**
     * The application's SQL as Cutover's messages and read operations quote it: literals masked and
     * the length bounded, since literals are often the very row values (see {@link Redaction#sql}).
     */
    String quote(String sql) {
        return Redaction.sql(sql, logValues);
    }

    SqlAnalyzer analyzer() {
        return analyzer;
    }

    WritingFunctions writingFunctions() {
        return writingFunctions;
    }

    ReferencingKeys referencingKeys() {
        return referencingKeys;
    }

    AutoIncrementColumns autoIncrementColumns() {
        return autoIncrementColumns;
    }

    /**
     * Remembers, from the first connection the wrapper takes from a side's pool (before any of the
     * application's SQL ran on it), the schema and catalog that unqualified table names reach there:
     * the namespace the copies read and write the mapped tables in.
     */
    void rememberHomeNamespace(Side side, Connection fresh) throws SQLException {
        if (!homeNamespaces.containsKey(side)) {
            homeNamespaces.putIfAbsent(side, ConnectionHandler.namespace(fresh));
        }
    }

    /** @return the schema and catalog remembered for a side */
    List<String> homeNamespace(Side side) {
        return homeNamespaces.get(side);
    }

    /**
     * @param table a table as a statement names it (normalised)
     * @param side the side whose names the statement uses
     * @return its mapping, or null
     */
    TableMapping mapping(String table, Side side) {
        Map<String, TableMapping> byName = side == Side.SOURCE ? bySourceTable : byTargetTable;
        TableMapping mapping = byName.get(table);
        if (mapping == null && table.indexOf('.') < 0) {
            for (Map.Entry<String, TableMapping> e : byName.entrySet()) {
                String name = e.getKey();
                if (name.substring(name.indexOf('.') + 1).equals(table)) {
                    return e.getValue();
                }
            }
        }
        return mapping;
    }

    /**
     * @param table an unqualified table name (normalised)
     * @param side the side whose names the statement uses
     * @return the mapping whose table has exactly that name, unqualified, or null
     */
    TableMapping mappingNamed(String table, Side side) {
        return (side == Side.SOURCE ? bySourceTable : byTargetTable).get(table);
    }

    /**
     * Names the pass-through tables that are mapped tables: passing them through would stop mirroring
     * them. A qualified pass-through name of an unqualified mapped table is allowed (it may name a
     * table of another schema); when it names the mapped table itself, the mapping wins.
     *
     * @param mappings every mapped entity
     * @param passThrough the pass-through table names as declared
     * @return one problem per such name, empty if none
     */
    public static List<String> passThroughConflicts(Collection<TableMapping> mappings, Collection<String> passThrough) {
        List<String> problems = new ArrayList<>();
        for (String declared : passThrough) {
            String name = SqlAnalyzer.normalise(declared);
            for (TableMapping mapping : mappings) {
                for (String table : List.of(mapping.sourceTable(), mapping.targetTable())) {
                    String mapped = SqlAnalyzer.normalise(table);
                    if (name.equals(mapped) || name.indexOf('.') < 0 && mapped.endsWith("." + name)) {
                        problems.add("passThrough(\"" + declared + "\") names table " + table + " of mapping "
                                + mapping.entity() + ": a mapped table is mirrored, and passing it through would stop"
                                + " its copies; remove it from passThrough(...)");
                        break;
                    }
                }
            }
        }
        return problems;
    }

    boolean passThrough(String table) {
        return table != null && (passThrough.contains(table)
                || passThrough.contains(table.substring(table.indexOf('.') + 1)));
    }
}

package dev.cutover.spring.boot.actuate;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import dev.cutover.flags.StageTransitionException;
import dev.cutover.queue.QueueDepth;
import dev.cutover.spring.boot.CutoverBackfills;
import java.security.Principal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.lang.Nullable;

/**
 * The {@code cutover} actuator endpoint: {@code GET /actuator/cutover} lists every migration's stage,
 * read percentages, queue and backfill; {@code GET /actuator/cutover/{migration}} shows one;
 * {@code POST /actuator/cutover/{migration}} with a JSON body of {@code stage},
 * {@code targetReadPercent}, {@code shadowReadPercent}, {@code backfill} (each optional, applied in
 * that order), {@code actor} and {@code reason} flips it, audited like every flip, and starts,
 * pauses, resumes or stops its backfill ({@code "backfill": "start"}) on this instance
 * ({@link CutoverBackfills}). {@code POST /actuator/cutover} with {@code migrations} (names,
 * comma-separated), {@code stage}, {@code actor} and {@code reason} moves several migrations together
 * ({@link Cutover#moveTogether}): stored in one transaction, audited per migration; this is how the
 * primary of migrations that share the application's DataSource moves.
 *
 * <p>Secured the way Spring Boot secures every endpoint: not exposed over HTTP unless listed in
 * {@code management.endpoints.web.exposure.include}, and read-only unless
 * {@code management.endpoint.cutover.access=unrestricted}; with Spring Security, protect
 * {@code EndpointRequest.to("cutover")}. When the request is authenticated, the audit's actor is
 * the principal's name, whatever the body says.
 */
@Endpoint(id = "cutover", defaultAccess = Access.READ_ONLY)
public class CutoverEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(CutoverEndpoint.class);

    private final Cutover cutover;
    private final CutoverBackfills backfills;

    /**
     * Creates the endpoint.
     *
     * @param cutover the runtime
     * @param backfills the backfills of this instance
     */
    public CutoverEndpoint(Cutover cutover, CutoverBackfills backfills) {
        this.cutover = cutover;
        this.backfills = backfills;
    }

    /** What the {@code backfill} field of a write asks for. */
    private enum BackfillAction {
        START, PAUSE, RESUME, STOP
    }

    /** @return every registered migration, in registration order */
    @ReadOperation
    public CutoverDescriptor migrations() {
        Map<String, QueueDepth> queue = cutover.migrations().isEmpty() ? Map.of()
                : cutover.retryQueue().depthByMigration();
        Map<String, MigrationDescriptor> migrations = new LinkedHashMap<>();
        for (Migration migration : cutover.migrations()) {
            migrations.put(migration.name(), describe(migration, queue));
        }
        return new CutoverDescriptor(migrations);
    }

    /**
     * One migration.
     *
     * @param migration its name
     * @return it, or null (404) if no such migration is registered
     */
    @ReadOperation
    public MigrationDescriptor migration(@Selector String migration) {
        return find(migration).map(m -> describe(m, cutover.retryQueue().depthByMigration())).orElse(null);
    }

    /**
     * Flips a migration: its stage, then its target and shadow read percentages, then acts on its
     * backfill, each only if given; {@code {"stage": "DUAL_WRITE", "backfill": "start"}} starts
     * mirroring and copying the history in one request.
     *
     * @param migration its name
     * @param stage the new stage, one step forward or any step back
     * @param targetReadPercent 0 to 100
     * @param shadowReadPercent 0 to 100
     * @param backfill {@code start} (resumes from the checkpoint; needs DUAL_WRITE or SHIFT_READS),
     *     {@code pause}, {@code resume} or {@code stop} the migration's backfill on this instance
     * @param actor who flips, for the audit; required unless the request is authenticated
     * @param reason why, for the audit
     * @param securityContext the request's principal, if any
     * @return the migration after the flips, or null (404) if no such migration is registered
     * @throws InvalidEndpointRequestException (400) if a value is illegal, the move is not allowed, or
     *     the backfill cannot do what is asked (already running, not running, wrong stage)
     */
    @WriteOperation
    public MigrationDescriptor update(@Selector String migration, @Nullable String stage,
            @Nullable Double targetReadPercent, @Nullable Double shadowReadPercent, @Nullable String backfill,
            @Nullable String actor, String reason, SecurityContext securityContext) {
        Optional<Migration> found = find(migration);
        if (found.isEmpty()) {
            return null;
        }
        Migration m = found.get();
        String who = actor(actor, reason, securityContext);
        if (stage == null && targetReadPercent == null && shadowReadPercent == null && backfill == null) {
            throw new InvalidEndpointRequestException("Nothing to flip: give stage, targetReadPercent,"
                    + " shadowReadPercent or backfill", "Nothing to flip");
        }
        // Parsed before any flip, so that a misspelt action leaves the migration as it was.
        BackfillAction action = backfill == null ? null : parseBackfillAction(backfill);
        try {
            if (stage != null) {
                m.moveTo(parseStage(stage), who, reason);
            }
            if (targetReadPercent != null) {
                m.setTargetReadPercent(targetReadPercent, who, reason);
            }
            if (shadowReadPercent != null) {
                m.setShadowReadPercent(shadowReadPercent, who, reason);
            }
        } catch (StageTransitionException | IllegalArgumentException e) {
            // The operator's request is what is wrong; a flag store that fails stays a server error.
            throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
        }
        if (action != null) {
            try {
                switch (action) {
                    case START -> backfills.start(migration);
                    case PAUSE -> backfills.pause(migration);
                    case RESUME -> backfills.resume(migration);
                    case STOP -> backfills.stop(migration);
                }
            } catch (IllegalStateException e) {
                // Already running, not running, or a stage the backfill refuses: the request is what is wrong.
                throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
            }
            LOG.info("Backfill of {}: {} by {} ({})", migration, action.name().toLowerCase(Locale.ROOT), who, reason);
        }
        return describe(m, cutover.retryQueue().depthByMigration());
    }

    /**
     * Moves several migrations to one stage together: one transaction of the flag store, one audit
     * entry per migration, each migration's own handover; the way to move the primary of migrations
     * that share the application's DataSource, which writes only while they agree about it.
     *
     * @param migrations the migrations' names, at least one, comma-separated in one string
     *     ({@code "orders, stock"}): the actuator binds simple types only
     * @param stage the stage for all of them, one step forward or any step back for each
     * @param actor who flips, for the audit; required unless the request is authenticated
     * @param reason why, for the audit
     * @param securityContext the request's principal, if any
     * @return every registered migration after the move
     * @throws InvalidEndpointRequestException (400) if a name is unknown, the stage is illegal, or a
     *     move is not allowed; nothing was moved then
     */
    @WriteOperation
    public CutoverDescriptor moveTogether(String migrations, String stage, @Nullable String actor, String reason,
            SecurityContext securityContext) {
        String who = actor(actor, reason, securityContext);
        Set<String> names = new LinkedHashSet<>();
        for (String name : migrations.split(",")) {
            if (!name.isBlank()) {
                names.add(name.strip());
            }
        }
        if (names.isEmpty()) {
            throw new InvalidEndpointRequestException("migrations is required: the names of the migrations to move"
                    + " together", "Missing migrations");
        }
        Stage target = parseStage(stage);
        try {
            cutover.moveTogether(names, target, who, reason);
        } catch (StageTransitionException | IllegalArgumentException e) {
            throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
        }
        LOG.info("Migrations {} moved together to {} by {} ({})", names, target, who, reason);
        return migrations();
    }

    /** The audit's actor: the principal's name when authenticated, else the body's; the reason is required too. */
    private static String actor(String actor, String reason, SecurityContext securityContext) {
        Principal principal = securityContext.getPrincipal();
        String who = principal != null ? principal.getName() : actor;
        if (who == null || who.isBlank()) {
            throw new InvalidEndpointRequestException("actor is required: who flips, for the audit", "Missing actor");
        }
        if (reason == null || reason.isBlank()) {
            throw new InvalidEndpointRequestException("reason is required: why, for the audit", "Missing reason");
        }
        return who;
    }

    private static BackfillAction parseBackfillAction(String action) {
        try {
            return BackfillAction.valueOf(action.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointRequestException("Unknown backfill action " + action + "; actions: start, pause,"
                    + " resume, stop", "Unknown backfill action");
        }
    }

    private static Stage parseStage(String stage) {
        try {
            return Stage.valueOf(stage.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointRequestException("Unknown stage " + stage + "; stages: "
                    + Arrays.toString(Stage.values()), "Unknown stage");
        }
    }

    private Optional<Migration> find(String name) {
        return cutover.migrations().stream().filter(m -> m.name().equals(name)).findFirst();
    }

    private MigrationDescriptor describe(Migration migration, Map<String, QueueDepth> queue) {
        MigrationState state = migration.state();
        QueueDepth stats = queue.getOrDefault(migration.name(), new QueueDepth(0, 0, Optional.empty()));
        return new MigrationDescriptor(migration.entities(), state.stage().name(), state.targetReadPercent(),
                state.shadowReadPercent(), state.targetKeys(), state.sourceKeys(), state.version(),
                new QueueDescriptor(stats.pending(), stats.parked(),
                        stats.oldestPendingCreatedAt().map(Object::toString).orElse(null)),
                backfills.status(migration.name()).map(CutoverEndpoint::describe).orElse(null));
    }

    private static BackfillDescriptor describe(CutoverBackfills.Status status) {
        BackfillProgress p = status.progress();
        return new BackfillDescriptor(p.phase().name(), status.paused(), p.entity(), p.rowsDone(), p.rowsTotal(),
                Math.round(p.percentDone() * 10) / 10.0, p.rowsDeleted(), p.chunks(), p.chunkRetries(), p.backOffs(),
                p.chunkSize(), Math.round(p.rowsPerSecond()), p.estimatedRemaining().toString(), p.elapsed().toString(),
                status.failure());
    }

    /**
     * Every migration.
     *
     * @param migrations by name, in registration order
     */
    public record CutoverDescriptor(Map<String, MigrationDescriptor> migrations) {
    }

    /**
     * One migration.
     *
     * @param entities the tables it moves (mapping names)
     * @param stage its stage
     * @param targetReadPercent the share of keys whose reads the target answers in SHIFT_READS
     * @param shadowReadPercent the share of reads also run on the other side and compared
     * @param targetKeys canary keys forced to the target
     * @param sourceKeys canary keys forced to the source
     * @param version the stored flags' version
     * @param queue its entries in the retry table
     * @param backfill its backfill on this instance, or null if none was started here
     */
    public record MigrationDescriptor(Set<String> entities, String stage, double targetReadPercent,
            double shadowReadPercent, Set<String> targetKeys, Set<String> sourceKeys, long version,
            QueueDescriptor queue, BackfillDescriptor backfill) {
    }

    /**
     * A migration's backfill on this instance ({@link BackfillProgress}).
     *
     * @param phase NOT_STARTED, COPYING, CLEANING_TARGET, PAUSED, STOPPED, FAILED or FINISHED
     * @param paused whether a pause holds it (the phase shows PAUSED once it reached the hold, after
     *     its chunk in flight)
     * @param entity the entity being copied
     * @param rowsDone source rows copied, earlier runs' included
     * @param rowsTotal source rows counted at the start
     * @param percentDone rowsDone of rowsTotal, in percent
     * @param rowsDeleted target rows deleted because the source no longer had them
     * @param chunks chunks committed
     * @param chunkRetries chunks rolled back and tried again
     * @param backOffs times the backfill halved its duty cycle because the migration's dual-write copies
     *     were slower than their baseline, or their slowest percent slower than without the backfill
     * @param chunkSize rows the next chunk asks for
     * @param rowsPerSecond rows copied per second, pauses and throttling included
     * @param estimatedRemaining time left at that rate (ISO-8601 duration)
     * @param elapsed time this run has taken (ISO-8601 duration)
     * @param failure why it failed, or null
     */
    public record BackfillDescriptor(String phase, boolean paused, String entity, long rowsDone, long rowsTotal,
            double percentDone, long rowsDeleted, long chunks, long chunkRetries, long backOffs, int chunkSize,
            long rowsPerSecond, String estimatedRemaining, String elapsed, String failure) {
    }

    /**
     * A migration's entries in the retry table.
     *
     * @param pending copies still to be made
     * @param parked copies given up on, waiting for an operator
     * @param oldestPendingCreatedAt when the oldest pending copy was queued (ISO-8601), or null
     */
    public record QueueDescriptor(long pending, long parked, String oldestPendingCreatedAt) {
    }
}

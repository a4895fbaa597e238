package dev.cutover.spring.boot.jpashop;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

class JpaShopProbeTest {
    private static final Logger LOG = LoggerFactory.getLogger(JpaShopProbeTest.class);

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void probe(Engine engine) throws Exception {
        try (TestDatabase source = TestDatabases.create(engine, "jpsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "jptgt")) {
            JpaShopFixture.prepare(source, target);
            try (ConfigurableApplicationContext ctx = JpaShopFixture.start(source, target, "jpashop.tags-key=buyer_id")) {
                JpaShopService shop = ctx.getBean(JpaShopService.class);
                Migration m = ctx.getBean(Cutover.class).migration(JpaShopApp.MIGRATION);
                List<Long> ids = shop.registerAll(List.of(
                        new JpaShopService.NewBuyer("a", "a@x", "s", "c1", Tier.GOLD, LocalDateTime.now(), Set.of("x", "y")),
                        new JpaShopService.NewBuyer("b", "b@x", "s", "c1", Tier.BRONZE, LocalDateTime.now(), Set.of("z"))));
                try {
                    m.moveTo(Stage.DUAL_WRITE, "probe", "probe");
                } catch (RuntimeException e) {
                    LOG.warn("moveTo refused", e);
                    return;
                }
                m.backfill().build().run();
                LOG.info("verify after backfill: {}", m.verify().toJson());
                List<Long> audits = new ArrayList<>();
                try {
                    List<Long> more = shop.registerAll(List.of(
                            new JpaShopService.NewBuyer("c", "c@x", "s", "c1", Tier.GOLD, LocalDateTime.now(), Set.of("q"))));
                    LOG.info("registered {}", more);
                } catch (RuntimeException e) {
                    LOG.warn("registerAll failed", e);
                }
                try {
                    shop.touch(ids.get(0), new BigDecimal("1.50"), Instant.now(), LocalDateTime.now(), audits);
                } catch (RuntimeException e) {
                    LOG.warn("touch failed", e);
                }
                try {
                    shop.retag(ids.get(0), Set.of("new"), Set.of("x"));
                } catch (RuntimeException e) {
                    LOG.warn("retag failed", e);
                }
                LOG.info("final verify: {}", m.verify().toJson());
                LOG.info("source {}", JpaShopFixture.dump(source));
                LOG.info("target {}", JpaShopFixture.dump(target));
            }
        }
    }
}

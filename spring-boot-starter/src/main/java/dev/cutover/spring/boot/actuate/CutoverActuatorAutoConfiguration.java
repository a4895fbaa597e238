package dev.cutover.spring.boot.actuate;

import dev.cutover.Cutover;
import dev.cutover.dualwrite.CutoverDataSource;
import dev.cutover.spring.boot.CutoverAutoConfiguration;
import dev.cutover.spring.boot.CutoverBackfills;
import dev.cutover.spring.boot.CutoverProperties;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The {@code cutover} health indicator ({@code management.health.cutover.enabled}) and the
 * {@code cutover} endpoint, when the application has the actuator, around the runtime: the
 * starter's, or a {@code Cutover} bean of the application's own. Off with {@code cutover.enabled=false},
 * like the rest of the starter, also when the application declares its own runtime.
 */
@AutoConfiguration(after = CutoverAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, HealthIndicator.class})
@ConditionalOnProperty(prefix = CutoverProperties.PREFIX, name = "enabled", havingValue = "true", matchIfMissing = true)
// Also what CutoverAutoConfiguration contributes: without it (excluded) this backs off rather than fail.
@ConditionalOnBean({Cutover.class, CutoverProperties.class, CutoverBackfills.class})
public class CutoverActuatorAutoConfiguration {
    /** Creates the auto-configuration; Spring calls it. */
    public CutoverActuatorAutoConfiguration() {
    }

    /**
     * The health indicator.
     *
     * @param cutover the runtime
     * @param properties the thresholds
     * @param dataSources the wrapped DataSources, for their mirror breakers
     * @return the indicator
     */
    @Bean
    @ConditionalOnMissingBean(name = "cutoverHealthIndicator")
    @ConditionalOnEnabledHealthIndicator("cutover")
    public CutoverHealthIndicator cutoverHealthIndicator(Cutover cutover, CutoverProperties properties,
            ObjectProvider<CutoverDataSource> dataSources) {
        return new CutoverHealthIndicator(cutover, properties.health(), dataSources.orderedStream().toList(),
                Clock.systemUTC());
    }

    /**
     * The endpoint.
     *
     * @param cutover the runtime
     * @param backfills the backfills of this instance
     * @return the endpoint
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    public CutoverEndpoint cutoverEndpoint(Cutover cutover, CutoverBackfills backfills) {
        return new CutoverEndpoint(cutover, backfills);
    }
}

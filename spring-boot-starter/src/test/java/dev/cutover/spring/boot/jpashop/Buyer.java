package dev.cutover.spring.boot.jpashop;

import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Set;
import java.util.TreeSet;

/**
 * A buyer: SEQUENCE id (IDENTITY on MariaDB, through orm.xml), an embedded address, an enum, an
 * Instant, a LocalDateTime, a BigDecimal, a version and a set of tags as an element collection.
 */
@Entity
@Table(name = "buyers")
public class Buyer {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "buyers_seq")
    @SequenceGenerator(name = "buyers_seq", sequenceName = "buyers_seq")
    private Long id;
    private String name;
    private String email;
    @Embedded
    private Location location;
    @Enumerated(EnumType.STRING)
    private Tier tier;
    private BigDecimal credit;
    private LocalDateTime joinedAt;
    private Instant lastSeen;
    @Version
    private long version;
    @ElementCollection(fetch = FetchType.EAGER)
    @CollectionTable(name = "buyer_tags", joinColumns = @JoinColumn(name = "buyer_id"))
    @Column(name = "tag")
    private Set<String> tags = new TreeSet<>();

    protected Buyer() {
    }

    Buyer(String name, String email, Location location, Tier tier, LocalDateTime joinedAt, Set<String> tags) {
        this.name = name;
        this.email = email;
        this.location = location;
        this.tier = tier;
        this.joinedAt = joinedAt;
        this.credit = BigDecimal.ZERO.setScale(2);
        this.tags.addAll(tags);
    }

    Long id() {
        return id;
    }

    BigDecimal credit() {
        return credit;
    }

    void credit(BigDecimal newCredit) {
        credit = newCredit;
    }

    Instant lastSeen() {
        return lastSeen;
    }

    void seen(Instant at) {
        lastSeen = at;
    }

    Set<String> tags() {
        return tags;
    }
}

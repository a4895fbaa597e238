package dev.cutover.spring.boot.jpa;

import jakarta.persistence.CascadeType;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.OneToMany;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

/** A customer: IDENTITY id, an embedded address, an enum, timestamps and optimistic locking. */
@Entity
@Table(name = "customers")
public class Customer {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;
    private String name;
    private String email;
    @Embedded
    private Address address;
    @Enumerated(EnumType.STRING)
    private Tier tier;
    private long points;
    private LocalDateTime createdAt;
    private LocalDateTime lastOrderAt;
    @Version
    private long version;
    @OneToMany(mappedBy = "customer", cascade = CascadeType.ALL, orphanRemoval = true)
    private List<ShopOrder> orders = new ArrayList<>();

    protected Customer() {
    }

    Customer(String name, String email, Address address, Tier tier, LocalDateTime createdAt) {
        this.name = name;
        this.email = email;
        this.address = address;
        this.tier = tier;
        this.createdAt = createdAt;
    }

    Long id() {
        return id;
    }

    void addPoints(long n) {
        points += n;
    }

    void ordered(LocalDateTime at) {
        lastOrderAt = at;
        points += 1;
    }

    void tier(Tier newTier) {
        tier = newTier;
    }

    List<ShopOrder> orders() {
        return orders;
    }
}

// The engine's device state, one owner per domain: customers, segment markets, firms (static
// attributes and per-replicate state) and upstream markets. Included by ensemble_engine.inl
// inside a backend's namespace, so thrust::device_vector is that backend's.
//
// Each owner allocates its own arrays from the setup's dimensions, hands out the view its
// kernels take with every member assigned by name (a positional brace list of ~20 same-typed
// pointers would still compile with two lines swapped), and counts its arrays twice: bytes(),
// what it allocated, and footprint(), what it will allocate, from the sizes alone (the memory
// estimate runs before anything is built). An array added to an owner goes into its
// constructor, its view, bytes() and footprint(), all in this one class.

template <typename T>
thrust::device_vector<T> replicate_rows(const std::vector<T>& row, std::int64_t replicates) {
  std::vector<T> all;
  all.reserve(row.size() * static_cast<std::size_t>(replicates));
  for (std::int64_t r = 0; r < replicates; ++r) all.insert(all.end(), row.begin(), row.end());
  return thrust::device_vector<T>(all.begin(), all.end());
}

template <typename T>
thrust::device_vector<T> to_device(const std::vector<T>& v) {
  return thrust::device_vector<T>(v.begin(), v.end());
}

template <typename T, std::size_t N>
thrust::device_vector<T> to_device(const std::array<T, N>& v) {
  return thrust::device_vector<T>(v.begin(), v.end());
}

template <typename T>
T* raw(thrust::device_vector<T>& v) {
  return thrust::raw_pointer_cast(v.data());
}

template <typename T>
void copy_to_host(const thrust::device_vector<T>& from, std::vector<T>& to) {
  to.resize(from.size());
  // An empty array (an optional one not allocated) copies nothing: the host vector's begin()
  // would be a null pointer that Thrust dereferences.
  if (!from.empty()) thrust::copy(from.begin(), from.end(), to.begin());
}

// Bytes held by the arrays given.
template <typename... T>
double bytes_of(const thrust::device_vector<T>&... arrays) {
  return (0.0 + ... + static_cast<double>(arrays.size() * sizeof(T)));
}

// Element sizes for the footprints.
constexpr double kI32 = 4.0, kI64 = 8.0, kF64 = 8.0, kU8 = 1.0;

// Cell counts of the state's shapes.
struct Cells {
  std::int64_t replicates;
  std::int64_t customers;
  std::int32_t firms;
  std::size_t firm() const { return static_cast<std::size_t>(replicates * firms); }
  std::size_t market() const { return firm() * kUpstreamMarkets; }
  std::size_t segment() const { return static_cast<std::size_t>(replicates * kSegments); }
  std::size_t segment_firm() const { return segment() * static_cast<std::size_t>(firms); }
  std::size_t segment_region() const { return segment() * kRegions; }
  std::size_t segment_region_firm() const { return segment_firm() * kRegions; }
};

// Customer agents: who uses which provider (and, multi-homing, which other services), and
// each agent's segment and region.
struct CustomerState {
  explicit CustomerState(const MarketSetup& setup)
      : customers(setup.customers),
        secondary_slots(setup.demand.max_services - 1),
        provider(setup.initial_provider.empty()
                     ? thrust::device_vector<std::int32_t>(
                           static_cast<std::size_t>(setup.replicates * setup.customers), -1)
                     : replicate_rows(setup.initial_provider, setup.replicates)),
        secondary(static_cast<std::size_t>(setup.replicates * setup.customers) *
                      static_cast<std::size_t>(std::max(secondary_slots, 0)),
                  -1),
        segment(to_device(setup.customer_segment)),
        region(to_device(setup.customer_region)) {}

  CustomerView view() {
    CustomerView v{};
    v.provider = raw(provider);
    v.secondary = raw(secondary);
    v.secondary_slots = secondary_slots;
    v.segment = raw(segment);
    v.region = raw(region);
    v.customers = customers;
    return v;
  }

  double bytes() const { return bytes_of(provider, secondary, segment, region); }
  static double footprint(const EngineSizes& s) {
    return static_cast<double>(s.replicates) * static_cast<double>(s.customers) * kI32 *
               static_cast<double>(s.services) +
           2.0 * static_cast<double>(s.customers) * kU8;
  }
  // Bytes per customer-replicate: the provider and other services per replicate, segment and
  // region shared.
  static double bytes_per_customer_replicate(std::int64_t replicates, std::int32_t services) {
    return sizeof(std::int32_t) * static_cast<double>(services) +
           2.0 * sizeof(std::uint8_t) / static_cast<double>(replicates);
  }

  std::int64_t customers;                         // per replicate
  std::int32_t secondary_slots;                   // demand.max_services - 1
  thrust::device_vector<std::int32_t> provider;   // [replicate][customer], -1: none
  thrust::device_vector<std::int32_t> secondary;  // [replicate][customer][slot], -1: empty
  thrust::device_vector<std::uint8_t> segment;    // [customer]
  thrust::device_vector<std::uint8_t> region;     // [customer]
};

// The customer market's aggregates per replicate and segment: tallies, Bass hazards, network
// terms and the awareness sampler (alias tables only with sampled consideration sets).
struct SegmentMarketState {
  SegmentMarketState(const MarketSetup& setup, const Cells& cells, bool sampled_consideration)
      : customers_in_market(to_device(setup.customers_in_market)),
        tally(setup.initial_tally.empty()
                  ? thrust::device_vector<std::int32_t>(cells.segment_firm(), 0)
                  : replicate_rows(setup.initial_tally, setup.replicates)),
        market_tally(setup.initial_market_tally.empty()
                         ? thrust::device_vector<std::int32_t>(cells.segment_region_firm(), 0)
                         : replicate_rows(setup.initial_market_tally, setup.replicates)),
        adopters(cells.segment(), 0),
        adoption_hazard(cells.segment_region(), 0.0),
        network_term(cells.segment_firm(), 0.0),
        alias_prob(sampled_consideration ? cells.segment_region_firm() : 0),
        alias_index(sampled_consideration ? cells.segment_region_firm() : 0),
        alias_scratch_a(sampled_consideration ? cells.segment_region_firm() : 0),
        alias_scratch_b(sampled_consideration ? cells.segment_region_firm() : 0),
        segment_has_supply(cells.segment_region(), 0),
        rest_group(setup.rest_calibration
                       ? std::size_t{kMarkets} * static_cast<std::size_t>(setup.firms)
                       : 0,
                   -1),
        rest_chosen(setup.rest_calibration ? cells.segment_region_firm() : 0, 0),
        rest_kept(setup.rest_calibration ? cells.segment_region_firm() : 0, 0),
        rest_adopted(setup.rest_calibration ? cells.segment_region_firm() : 0, 0) {}

  SegmentMarketView view() {
    SegmentMarketView v{};
    v.tally = raw(tally);
    v.market_tally = raw(market_tally);
    v.adopters = raw(adopters);
    v.adoption_hazard = raw(adoption_hazard);
    v.network_term = raw(network_term);
    v.alias_prob = raw(alias_prob);
    v.alias_index = raw(alias_index);
    v.alias_scratch_a = raw(alias_scratch_a);
    v.alias_scratch_b = raw(alias_scratch_b);
    v.segment_has_supply = raw(segment_has_supply);
    return v;
  }

  double bytes() const {
    return bytes_of(customers_in_market, tally, market_tally, adopters, adoption_hazard,
                    network_term, alias_prob, alias_index, alias_scratch_a, alias_scratch_b,
                    segment_has_supply, rest_group, rest_chosen, rest_kept, rest_adopted);
  }
  static double footprint(const EngineSizes& s) {
    const double f = static_cast<double>(s.firms);
    const double segment_cells = static_cast<double>(s.replicates) * kSegments;
    const double segment_firm_cells = segment_cells * f;
    const double market_cells = segment_cells * kRegions;
    const double market_firm_cells = segment_firm_cells * kRegions;
    double bytes = kMarkets * kI64;      // customers_in_market
    bytes += segment_firm_cells * kI32;  // tally
    bytes += market_firm_cells * kI32;   // market_tally
    bytes += segment_cells * kI32;       // adopters
    bytes += market_cells * kF64;        // adoption_hazard
    bytes += segment_firm_cells * kF64;  // network_term
    if (s.sampled_consideration) bytes += market_firm_cells * (kF64 + 3.0 * kI32);  // alias_*
    bytes += market_cells * kU8;  // segment_has_supply
    // rest_group; rest_chosen, rest_kept, rest_adopted
    if (s.rest_calibration)
      bytes += kRegions * kSegments * f * kI32 + 3.0 * market_firm_cells * kI32;
    return bytes;
  }

  thrust::device_vector<std::int64_t> customers_in_market;  // [segment][region]
  thrust::device_vector<std::int32_t> tally;                // [replicate][segment][firm]
  thrust::device_vector<std::int32_t> market_tally;         // [replicate][segment][region][firm]
  thrust::device_vector<std::int32_t> adopters;             // [replicate][segment]
  thrust::device_vector<double> adoption_hazard;            // [replicate][segment][region]
  thrust::device_vector<double> network_term;               // [replicate][segment][firm]
  thrust::device_vector<double> alias_prob;                 // [replicate][segment][region][firm]
  thrust::device_vector<std::int32_t> alias_index;
  thrust::device_vector<std::int32_t> alias_scratch_a;
  thrust::device_vector<std::int32_t> alias_scratch_b;
  thrust::device_vector<std::uint8_t> segment_has_supply;  // [replicate][segment]
  // The utility inversion (empty without calibration): each firm's group per market
  // [segment][region][firm], and a round's choices [replicate][segment][region][firm] (the
  // adopters', those kept in their group, the non-adopters').
  thrust::device_vector<std::int32_t> rest_group;
  thrust::device_vector<std::int32_t> rest_chosen;
  thrust::device_vector<std::int32_t> rest_kept;
  thrust::device_vector<std::int32_t> rest_adopted;
};

// What does not change within a replicate: the firms' attributes, the index lists of firms
// (counted at their largest, every firm, in the footprint), and the scenario's region terms
// and export controls (changed only between steps, for every replicate alike).
struct FirmStaticState {
  explicit FirmStaticState(const MarketSetup& setup)
      : firms(setup.firms),
        serves(to_device(setup.serves)),
        paid_conversion(to_device(setup.paid_conversion)),
        language_fit(to_device(setup.language_fit)),
        utility_offset(std::size_t{kMarkets} * static_cast<std::size_t>(setup.firms) *
                           static_cast<std::size_t>(setup.calibration_classes),
                       0.0),
        calibration_class(
            setup.calibration_class.empty()
                ? thrust::device_vector<std::int32_t>(static_cast<std::size_t>(setup.replicates), 0)
                : to_device(setup.calibration_class)),
        layer_mask(to_device(setup.layer_mask)),
        in_house_chips(to_device(setup.in_house_chips)),
        region(to_device(setup.firm_region)),
        archetype(to_device(setup.firm_archetype)),
        open_weights(to_device(setup.open_weights)),
        model_source(to_device(setup.model_source)),
        open_weight_firms(to_device(setup.open_weight_firms)),
        chip_performance(to_device(setup.chip_performance)),
        model_developers(to_device(setup.model_developers)),
        base_strategy(to_device(setup.strategy)),
        cloud_self_use(to_device(setup.cloud_self_use)),
        api_offset(setup.api_offset.empty()
                       ? thrust::device_vector<double>(static_cast<std::size_t>(setup.firms), 0.0)
                       : to_device(setup.api_offset)),
        acquirers(to_device(setup.acquirers)),
        base_awareness(to_device(setup.awareness)),
        other_income(to_device(setup.other_income)),
        cash_flow_funded(to_device(setup.cash_flow_funded)),
        reinvestment_rate(to_device(setup.reinvestment_rate)),
        export_blocked(to_device(setup.export_blocked)),
        params(per_replicate(setup.value_chain_by_replicate, setup.value_chain, setup.replicates)),
        demand(per_replicate(setup.demand_by_replicate, setup.demand, setup.replicates)) {}

  // Each replicate's parameters on the device: its draws of the uncertain keys where the setup
  // has them (`drawn`, [replicate]), else the config's (`config`) in every replicate.
  template <typename Params>
  static thrust::device_vector<Params> per_replicate(const std::vector<Params>& drawn,
                                                     const Params& config,
                                                     std::int64_t replicates) {
    if (!drawn.empty()) return to_device(drawn);
    return thrust::device_vector<Params>(static_cast<std::size_t>(replicates), config);
  }

  FirmStatic view() {
    FirmStatic v{};
    v.firms = firms;
    v.layer_mask = raw(layer_mask);
    v.in_house_chips = raw(in_house_chips);
    v.region = raw(region);
    v.archetype = raw(archetype);
    v.chip_performance = raw(chip_performance);
    v.model_source = raw(model_source);
    v.open_weights = raw(open_weights);
    v.base_awareness = raw(base_awareness);
    v.other_income = raw(other_income);
    v.cash_flow_funded = raw(cash_flow_funded);
    v.reinvestment_rate = raw(reinvestment_rate);
    v.serves = raw(serves);
    v.paid_conversion = raw(paid_conversion);
    v.open_weight_firms = raw(open_weight_firms);
    v.open_weight_count = static_cast<std::int32_t>(open_weight_firms.size());
    v.model_developers = raw(model_developers);
    v.model_developer_count = static_cast<std::int32_t>(model_developers.size());
    v.base_strategy = raw(base_strategy);
    v.cloud_self_use = raw(cloud_self_use);
    v.api_offset = raw(api_offset);
    return v;
  }

  double bytes() const {
    return bytes_of(serves, paid_conversion, language_fit, utility_offset, calibration_class,
                    layer_mask, in_house_chips, region, archetype, open_weights, model_source,
                    open_weight_firms, chip_performance, model_developers, base_strategy,
                    cloud_self_use, api_offset, acquirers, base_awareness, other_income,
                    cash_flow_funded, reinvestment_rate, export_blocked, params, demand);
  }
  static double footprint(const EngineSizes& s) {
    const double f = static_cast<double>(s.firms);
    double bytes = kSegments * f * kU8;                                         // serves
    bytes += kSegments * f * kF64;                                              // paid_conversion
    bytes += f * kRegions * kF64;                                               // language_fit
    bytes += kMarkets * f * kF64 * static_cast<double>(s.calibration_classes);  // utility_offset
    bytes += static_cast<double>(s.replicates) * kI32;                          // calibration_class
    // layer_mask, in_house_chips, region, archetype, open_weights; model_source;
    // open_weight_firms, model_developers, acquirers; chip_performance, cloud_self_use,
    // api_offset, base_awareness; base_strategy; other_income; cash_flow_funded,
    // reinvestment_rate.
    bytes += f * (5.0 * kU8 + kI32 + 3.0 * kI32 + 4.0 * kF64 + kStrategyParameters * kF64 + kI64);
    bytes += f * (kU8 + kF64);
    bytes += kRegions * kRegions * kU8;                                     // export_blocked
    bytes += static_cast<double>(s.replicates) * sizeof(ValueChainParams);  // params
    bytes += static_cast<double>(s.replicates) * sizeof(DemandParams);      // demand
    return bytes;
  }

  std::int32_t firms;
  thrust::device_vector<std::uint8_t> serves;             // [segment][firm]
  thrust::device_vector<double> paid_conversion;          // [segment][firm]
  thrust::device_vector<double> language_fit;             // [firm][region]
  thrust::device_vector<double> utility_offset;           // [class][segment][region][firm] xi
  thrust::device_vector<std::int32_t> calibration_class;  // [replicate]
  thrust::device_vector<std::uint8_t> layer_mask;         // [firm]
  thrust::device_vector<std::uint8_t> in_house_chips;
  thrust::device_vector<std::uint8_t> region;
  thrust::device_vector<std::uint8_t> archetype;  // [firm], index into kArchetypeNames
  thrust::device_vector<std::uint8_t> open_weights;
  thrust::device_vector<std::int32_t> model_source;
  thrust::device_vector<std::int32_t> open_weight_firms;  // firm indices
  thrust::device_vector<double> chip_performance;
  thrust::device_vector<std::int32_t> model_developers;  // firm indices
  thrust::device_vector<double> base_strategy;           // [parameter][firm]
  thrust::device_vector<double> cloud_self_use;          // [firm]
  thrust::device_vector<double> api_offset;              // [firm]
  thrust::device_vector<std::int32_t> acquirers;         // firm indices
  thrust::device_vector<double> base_awareness;          // [firm]
  thrust::device_vector<std::int64_t> other_income;      // [firm]
  thrust::device_vector<std::uint8_t> cash_flow_funded;  // [firm]
  thrust::device_vector<double> reinvestment_rate;       // [firm]
  thrust::device_vector<std::uint8_t> export_blocked;    // [seller][buyer region]
  thrust::device_vector<ValueChainParams> params;        // [replicate]
  thrust::device_vector<DemandParams> demand;            // [replicate]
};

// Each firm's state per replicate, with the service offer the customers see and the record
// of the first int64 overflow of its money or units.
struct FirmDynamicState {
  FirmDynamicState(const MarketSetup& setup, const Cells& cells, bool adaptation)
      : quality_term(replicate_rows(setup.quality_term, setup.replicates)),
        price_term(replicate_rows(setup.price_term, setup.replicates)),
        awareness(replicate_rows(setup.awareness, setup.replicates)),
        alive(replicate_rows(setup.alive, setup.replicates)),
        cash(replicate_rows(setup.cash, setup.replicates)),
        cash_at_review(replicate_rows(setup.cash, setup.replicates)),
        cash_at_round(replicate_rows(setup.cash, setup.replicates)),
        strategy(replicate_rows(setup.strategy, setup.replicates)),
        strategy_next(
            adaptation ? setup.strategy.size() * static_cast<std::size_t>(setup.replicates) : 0),
        growth(adaptation ? cells.firm() : 0),
        subsidy(cells.firm(), 0.0),
        acquired_by(cells.firm(), -1),
        fab_capacity(replicate_rows(setup.fab_capacity, setup.replicates)),
        hbm_capacity(replicate_rows(setup.hbm_capacity, setup.replicates)),
        packaging_capacity(replicate_rows(setup.packaging_capacity, setup.replicates)),
        capacity_plan(cells.firm() * static_cast<std::size_t>(setup.capacity_plan_stride), 0.0),
        installed_compute(replicate_rows(setup.installed_compute, setup.replicates)),
        data_stock(replicate_rows(setup.data_stock, setup.replicates)),
        training_compute(replicate_rows(setup.training_compute, setup.replicates)),
        capability(replicate_rows(setup.capability, setup.replicates)),
        rd_stock(cells.firm(), 0.0),
        quality_start(cells.segment_firm(), 0.0),
        public_held(replicate_rows(public_part(setup), setup.replicates)),
        licensed_held(replicate_rows(licensed_part(setup), setup.replicates)),
        general_acquired(replicate_rows(licensed_part(setup), setup.replicates)),
        data_licensed(cells.firm(), 0.0),
        domain_data(cells.segment_firm(), 0.0),
        domain_acquired(cells.segment_firm(), 0.0),
        marketing_stock(cells.firm(), 0.0),
        rd_budget(cells.firm(), 0.0),
        marketing_budget(cells.firm(), 0.0),
        capex(cells.firm(), 0.0),
        external_cost(cells.firm(), 0),
        service_revenue(cells.firm(), 0),
        funding(cells.firm(), 0),
        leaving(cells.firm(), 0),
        operating_income(replicate_rows(setup.operating_income, setup.replicates)),
        revenue_trend(cells.firm(), 0.0),
        service_price(replicate_rows(setup.service_price, setup.replicates)),
        service_quality(replicate_rows(setup.base_quality, setup.replicates)),
        base_quality(replicate_rows(setup.base_quality, setup.replicates)),
        base_price(replicate_rows(setup.base_price, setup.replicates)),
        overflow(cells.firm(), 0),
        overflow_any(1, 0) {}

  FirmDynamic view() {
    FirmDynamic v{};
    v.alive = raw(alive);
    v.cash = raw(cash);
    v.fab_capacity = raw(fab_capacity);
    v.hbm_capacity = raw(hbm_capacity);
    v.packaging_capacity = raw(packaging_capacity);
    v.capacity_plan = raw(capacity_plan);
    v.installed_compute = raw(installed_compute);
    v.data_stock = raw(data_stock);
    v.training_compute = raw(training_compute);
    v.capability = raw(capability);
    v.rd_stock = raw(rd_stock);
    v.quality_start = raw(quality_start);
    v.public_held = raw(public_held);
    v.licensed_held = raw(licensed_held);
    v.general_acquired = raw(general_acquired);
    v.data_licensed = raw(data_licensed);
    v.domain_data = raw(domain_data);
    v.domain_acquired = raw(domain_acquired);
    v.marketing_stock = raw(marketing_stock);
    v.rd_budget = raw(rd_budget);
    v.marketing_budget = raw(marketing_budget);
    v.capex = raw(capex);
    v.external_cost = raw(external_cost);
    v.service_revenue = raw(service_revenue);
    v.funding = raw(funding);
    v.leaving = raw(leaving);
    v.operating_income = raw(operating_income);
    v.revenue_trend = raw(revenue_trend);
    v.awareness = raw(awareness);
    v.quality_term = raw(quality_term);
    v.price_term = raw(price_term);
    v.service_price = raw(service_price);
    v.service_quality = raw(service_quality);
    v.base_quality = raw(base_quality);
    v.base_price = raw(base_price);
    v.strategy = raw(strategy);
    v.subsidy = raw(subsidy);
    v.acquired_by = raw(acquired_by);
    v.cash_at_review = raw(cash_at_review);
    v.cash_at_round = raw(cash_at_round);
    return v;
  }
  OverflowRecord overflow_record() {
    OverflowRecord v{};
    v.first = raw(overflow);
    v.any = raw(overflow_any);
    return v;
  }

  double bytes() const {
    return bytes_of(quality_term, price_term, awareness, alive, cash, cash_at_review, cash_at_round,
                    strategy, strategy_next, growth, subsidy, acquired_by, fab_capacity,
                    hbm_capacity, packaging_capacity, capacity_plan, installed_compute, data_stock,
                    training_compute, capability, rd_stock, quality_start, marketing_stock,
                    rd_budget, marketing_budget, capex, external_cost, service_revenue, funding,
                    leaving, operating_income, revenue_trend, service_price, service_quality,
                    base_quality, base_price, overflow, overflow_any, public_held, licensed_held,
                    general_acquired, data_licensed, domain_data, domain_acquired);
  }
  // A firm's starting general text (firm data_stock) is public text up to the world's stock at
  // the start, and licensed text beyond it (kernels/data_stocks.hpp).
  static std::vector<double> public_part(const MarketSetup& setup) {
    std::vector<double> part(setup.data_stock);
    for (double& d : part) d = std::min(d, setup.value_chain.public_text_stock);
    return part;
  }
  static std::vector<double> licensed_part(const MarketSetup& setup) {
    std::vector<double> part(setup.data_stock);
    for (double& d : part) d -= std::min(d, setup.value_chain.public_text_stock);
    return part;
  }
  static double footprint(const EngineSizes& s) {
    const double firm_cells = static_cast<double>(s.replicates) * static_cast<double>(s.firms);
    const double segment_firm_cells = firm_cells * kSegments;
    // quality_term, price_term; awareness.
    double bytes = 2.0 * segment_firm_cells * kF64 + firm_cells * kF64;
    // alive, cash, cash_at_review, cash_at_round, subsidy, acquired_by, the eleven stocks and
    // budgets (fab_capacity .. capex), the four data stocks and ledgers (public_held ..
    // data_licensed), external_cost, service_revenue.
    bytes += firm_cells * (kU8 + 3.0 * kI64 + kF64 + kI32 + 15.0 * kF64 + 2.0 * kI64);
    // quality_start, domain_data, domain_acquired.
    bytes += segment_firm_cells * 3.0 * kF64;
    // funding; leaving; operating_income, revenue_trend.
    bytes += firm_cells * (kI64 + kU8 + 2.0 * kF64);
    // packaging_capacity and the capacity pipelines.
    bytes += firm_cells * kF64 * (1.0 + static_cast<double>(s.capacity_plan_stride));
    // strategy (and strategy_next, growth with adaptation).
    bytes += firm_cells * kStrategyParameters * kF64 * (s.adaptation ? 2.0 : 1.0);
    if (s.adaptation) bytes += firm_cells * kF64;
    // service_price, service_quality, base_quality, base_price.
    bytes += segment_firm_cells * 4.0 * kF64;
    bytes += firm_cells * kI64 + kI32;  // overflow, overflow_any
    return bytes;
  }

  thrust::device_vector<double> quality_term;  // [replicate][segment][firm] beta * quality
  thrust::device_vector<double> price_term;    // [replicate][segment][firm]
  thrust::device_vector<double> awareness;     // [replicate][firm]
  thrust::device_vector<std::uint8_t> alive;
  thrust::device_vector<std::int64_t> cash;
  thrust::device_vector<std::int64_t> cash_at_review;
  thrust::device_vector<std::int64_t> cash_at_round;
  thrust::device_vector<double> strategy;           // [replicate][parameter][firm]
  thrust::device_vector<double> strategy_next;      // adaptation writes here, then swaps
  thrust::device_vector<double> growth;             // [replicate][firm] at a review
  thrust::device_vector<double> subsidy;            // [replicate][firm] USD this step
  thrust::device_vector<std::int32_t> acquired_by;  // [replicate][firm]
  thrust::device_vector<double> fab_capacity;
  thrust::device_vector<double> hbm_capacity;
  thrust::device_vector<double> packaging_capacity;  // [replicate][firm]
  thrust::device_vector<double> capacity_plan;       // [replicate][firm][stride]
  thrust::device_vector<double> installed_compute;
  thrust::device_vector<double> data_stock;
  thrust::device_vector<double> training_compute;
  thrust::device_vector<double> capability;
  thrust::device_vector<double> rd_stock;
  // Endogenous quality (Elo) at the start, or at entry for an entrant: quality moves by the
  // change of the value-chain terms since then.
  thrust::device_vector<double> quality_start;  // [replicate][segment][firm]
  // Data (kernels/data_stocks.hpp): [replicate][firm], domain_* [replicate][segment][firm].
  thrust::device_vector<double> public_held;
  thrust::device_vector<double> licensed_held;
  thrust::device_vector<double> general_acquired;
  thrust::device_vector<double> data_licensed;
  thrust::device_vector<double> domain_data;
  thrust::device_vector<double> domain_acquired;
  thrust::device_vector<double> marketing_stock;
  thrust::device_vector<double> rd_budget;
  thrust::device_vector<double> marketing_budget;
  thrust::device_vector<double> capex;
  thrust::device_vector<std::int64_t> external_cost;
  thrust::device_vector<std::int64_t> service_revenue;
  thrust::device_vector<std::int64_t> funding;     // [replicate][firm] USD raised this step
  thrust::device_vector<std::uint8_t> leaving;     // [replicate][firm] exits after settlement
  thrust::device_vector<double> operating_income;  // [replicate][firm] USD, last step
  thrust::device_vector<double> revenue_trend;     // [replicate][firm] USD, average
  thrust::device_vector<double> service_price;     // [replicate][segment][firm] r per user
  thrust::device_vector<double> service_quality;   // [replicate][segment][firm]
  thrust::device_vector<double> base_quality;      // [replicate][segment][firm]: entrants redraw
  thrust::device_vector<double> base_price;        // [replicate][segment][firm]
  // [replicate][firm] first int64 overflow of the firm's money or units (OverflowRecord).
  thrust::device_vector<std::int64_t> overflow;
  thrust::device_vector<std::uint32_t> overflow_any;  // 1 once any is recorded
};

// The upstream markets, [replicate][market][firm], and who buys and sells in each.
struct UpstreamMarketState {
  UpstreamMarketState(const MarketSetup& setup, const Cells& cells)
      : unit_demand(cells.market(), 0.0),
        budget(cells.market(), 0.0),
        weight_total(cells.market(), 0.0),
        capacity(cells.market(), 0.0),
        demand_received(cells.market(), 0.0),
        ration(cells.market(), 1.0),
        sold(cells.market(), 0),
        revenue(cells.market(), 0),
        bought(cells.market(), 0),
        paid(cells.market(), 0),
        performance_bought(cells.market(), 0.0),
        attraction(cells.market(), 0.0),
        price_floor(cells.market(), 0.0) {
    std::vector<double> prices;
    for (std::int64_t r = 0; r < setup.replicates; ++r) {
      for (int market = 0; market < kUpstreamMarkets; ++market) {
        prices.insert(prices.end(), setup.initial_price[market].begin(),
                      setup.initial_price[market].end());
      }
    }
    price = to_device(prices);
    for (int market = 0; market < kUpstreamMarkets; ++market) {
      buyers[market] = to_device(setup.buyers[market]);
      sellers[market] = to_device(setup.sellers[market]);
    }
  }

  MarketArrays view() {
    MarketArrays v{};
    v.price = raw(price);
    v.unit_demand = raw(unit_demand);
    v.budget = raw(budget);
    v.weight_total = raw(weight_total);
    v.capacity = raw(capacity);
    v.demand_received = raw(demand_received);
    v.ration = raw(ration);
    v.sold = raw(sold);
    v.revenue = raw(revenue);
    v.bought = raw(bought);
    v.paid = raw(paid);
    v.performance_bought = raw(performance_bought);
    v.attraction = raw(attraction);
    v.price_floor = raw(price_floor);
    return v;
  }

  double bytes() const {
    double bytes =
        bytes_of(price, unit_demand, budget, weight_total, capacity, demand_received, ration, sold,
                 revenue, bought, paid, performance_bought, attraction, price_floor);
    for (int market = 0; market < kUpstreamMarkets; ++market)
      bytes += bytes_of(buyers[market], sellers[market]);
    return bytes;
  }
  static double footprint(const EngineSizes& s) {
    const double f = static_cast<double>(s.firms);
    const double market_cells = static_cast<double>(s.replicates) * f * kUpstreamMarkets;
    // price .. price_floor: ten doubles, four int64; the buyer and seller lists at every firm.
    return market_cells * (10.0 * kF64 + 4.0 * kI64) + 2.0 * kUpstreamMarkets * f * kI32;
  }

  thrust::device_vector<double> price;
  thrust::device_vector<double> unit_demand;
  thrust::device_vector<double> budget;
  thrust::device_vector<double> weight_total;
  thrust::device_vector<double> capacity;
  thrust::device_vector<double> demand_received;
  thrust::device_vector<double> ration;
  thrust::device_vector<std::int64_t> sold;
  thrust::device_vector<std::int64_t> revenue;
  thrust::device_vector<std::int64_t> bought;
  thrust::device_vector<std::int64_t> paid;
  thrust::device_vector<double> performance_bought;
  thrust::device_vector<double> attraction;
  thrust::device_vector<double> price_floor;
  std::array<thrust::device_vector<std::int32_t>, kUpstreamMarkets> buyers;   // firm indices
  std::array<thrust::device_vector<std::int32_t>, kUpstreamMarkets> sellers;  // firm indices
};

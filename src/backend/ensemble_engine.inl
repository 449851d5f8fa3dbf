// The step driver for one backend. This file is included once per backend, inside that
// backend's namespace, with AIMARKET_EXEC naming the Thrust execution policy:
//   cpu_backend.cpp  -> aimarket::cpu,  thrust::omp::par (compiled by the host compiler)
//   cuda_backend.cu  -> aimarket::cuda, thrust::cuda::par (compiled by nvcc)
// Every launch covers all replicates at once (batched ensemble). No allocation happens after
// construction: the step loop only launches functors over preallocated arrays. Every array
// the engine holds is counted by Engine::footprint, which the memory estimate uses before
// anything is built (tests/cpp/test_memory.cpp checks it against what the engine allocates).
//
// Step order (MODEL.md section 4): firm plans; HBM, accelerator, cloud, model-API and data
// markets clear; production, data and capability accumulate; service quality and price
// update; customers choose; entrants take free slots (when [entry] rate > 0); finance settles;
// big tech acquires start-ups ([entry] acquisition_rate > 0); every [strategy] adapt_every
// steps firms review their strategies. A scenario event changes levers between steps.
// With `frozen` only the customer phases run.

template <typename T>
thrust::device_vector<T> replicate_rows(const std::vector<T>& row, std::int64_t replicates) {
  std::vector<T> all;
  all.reserve(row.size() * static_cast<std::size_t>(replicates));
  for (std::int64_t r = 0; r < replicates; ++r) all.insert(all.end(), row.begin(), row.end());
  return thrust::device_vector<T>(all.begin(), all.end());
}

template <typename T>
T* raw(thrust::device_vector<T>& v) {
  return thrust::raw_pointer_cast(v.data());
}

template <typename T>
void copy_to_host(const thrust::device_vector<T>& from, std::vector<T>& to) {
  to.resize(from.size());
  thrust::copy(from.begin(), from.end(), to.begin());
}

class Engine final : public EnsembleBackend {
 public:
  explicit Engine(const MarketSetup& setup)
      : replicates_(setup.replicates),
        customers_(setup.customers),
        firms_(setup.firms),
        seed_(setup.seed),
        demand_(setup.demand),
        frozen_(setup.frozen),
        value_chain_(setup.value_chain),
        entry_(setup.entry),
        consider_all_firms_(setup.demand.consideration_set == 0 ||
                            setup.demand.consideration_set >= setup.firms),
        provider_(setup.initial_provider.empty()
                      ? thrust::device_vector<std::int32_t>(
                            static_cast<std::size_t>(setup.replicates * setup.customers), -1)
                      : replicate_rows(setup.initial_provider, setup.replicates)),
        segment_(setup.customer_segment.begin(), setup.customer_segment.end()),
        region_(setup.customer_region.begin(), setup.customer_region.end()),
        customers_in_segment_(setup.customers_in_segment.begin(), setup.customers_in_segment.end()),
        serves_(setup.serves.begin(), setup.serves.end()),
        region_term_(setup.region_term.begin(), setup.region_term.end()),
        quality_term_(replicate_rows(setup.quality_term, setup.replicates)),
        log_price_(replicate_rows(setup.log_price, setup.replicates)),
        awareness_(replicate_rows(setup.awareness, setup.replicates)),
        tally_(setup.initial_tally.empty()
                   ? thrust::device_vector<std::int32_t>(segment_firm_cells(), 0)
                   : replicate_rows(setup.initial_tally, setup.replicates)),
        region_tally_(setup.initial_region_tally.empty()
                          ? thrust::device_vector<std::int32_t>(firm_cells() * kRegions, 0)
                          : replicate_rows(setup.initial_region_tally, setup.replicates)),
        adopters_(segment_cells(), 0),
        adoption_hazard_(segment_cells(), 0.0),
        network_term_(segment_firm_cells(), 0.0),
        alias_prob_(consider_all_firms_ ? 0 : segment_firm_cells()),
        alias_index_(consider_all_firms_ ? 0 : segment_firm_cells()),
        alias_scratch_a_(consider_all_firms_ ? 0 : segment_firm_cells()),
        alias_scratch_b_(consider_all_firms_ ? 0 : segment_firm_cells()),
        segment_has_supply_(segment_cells(), 0),
        layer_mask_(setup.layer_mask.begin(), setup.layer_mask.end()),
        in_house_chips_(setup.in_house_chips.begin(), setup.in_house_chips.end()),
        firm_region_(setup.firm_region.begin(), setup.firm_region.end()),
        open_weights_(setup.open_weights.begin(), setup.open_weights.end()),
        model_source_(setup.model_source.begin(), setup.model_source.end()),
        open_weight_firms_(setup.open_weight_firms.begin(), setup.open_weight_firms.end()),
        chip_performance_(setup.chip_performance.begin(), setup.chip_performance.end()),
        model_developers_(setup.model_developers.begin(), setup.model_developers.end()),
        base_strategy_(setup.strategy.begin(), setup.strategy.end()),
        cloud_self_use_(setup.cloud_self_use.begin(), setup.cloud_self_use.end()),
        acquirers_(setup.acquirers.begin(), setup.acquirers.end()),
        adaptation_(setup.adaptation),
        acquisition_(setup.acquisition),
        base_awareness_(setup.awareness.begin(), setup.awareness.end()),
        other_income_(setup.other_income.begin(), setup.other_income.end()),
        export_blocked_(setup.export_blocked.begin(), setup.export_blocked.end()),
        alive_(replicate_rows(setup.alive, setup.replicates)),
        cash_(replicate_rows(setup.cash, setup.replicates)),
        cash_at_review_(replicate_rows(setup.cash, setup.replicates)),
        strategy_(replicate_rows(setup.strategy, setup.replicates)),
        strategy_next_(adaptation_.every > 0
                           ? setup.strategy.size() * static_cast<std::size_t>(setup.replicates)
                           : 0),
        growth_(adaptation_.every > 0 ? firm_cells() : 0),
        subsidy_(firm_cells(), 0.0),
        acquired_by_(firm_cells(), -1),
        fab_capacity_(replicate_rows(setup.fab_capacity, setup.replicates)),
        hbm_capacity_(replicate_rows(setup.hbm_capacity, setup.replicates)),
        installed_compute_(replicate_rows(setup.installed_compute, setup.replicates)),
        data_stock_(replicate_rows(setup.data_stock, setup.replicates)),
        training_compute_(replicate_rows(setup.training_compute, setup.replicates)),
        capability_(replicate_rows(setup.capability, setup.replicates)),
        rd_stock_(firm_cells(), 0.0),
        marketing_awareness_(firm_cells(), 0.0),
        rd_budget_(firm_cells(), 0.0),
        marketing_budget_(firm_cells(), 0.0),
        capex_(firm_cells(), 0.0),
        external_cost_(firm_cells(), 0),
        service_revenue_(firm_cells(), 0),
        service_price_(replicate_rows(setup.base_price, setup.replicates)),
        service_quality_(replicate_rows(setup.base_quality, setup.replicates)),
        base_quality_(replicate_rows(setup.base_quality, setup.replicates)),
        base_price_(replicate_rows(setup.base_price, setup.replicates)),
        unit_demand_(market_cells(), 0.0),
        budget_(market_cells(), 0.0),
        weight_total_(market_cells(), 0.0),
        capacity_(market_cells(), 0.0),
        demand_received_(market_cells(), 0.0),
        ration_(market_cells(), 1.0),
        sold_(market_cells(), 0),
        revenue_(market_cells(), 0),
        bought_(market_cells(), 0),
        paid_(market_cells(), 0),
        performance_bought_(market_cells(), 0.0),
        attraction_(market_cells(), 0.0),
        overflow_(firm_cells(), 0),
        overflow_any_(1, 0),
        price_floor_(setup.price_floor) {
    std::vector<double> prices;
    for (std::int64_t r = 0; r < replicates_; ++r) {
      for (int market = 0; market < kUpstreamMarkets; ++market) {
        prices.insert(prices.end(), setup.initial_price[market].begin(),
                      setup.initial_price[market].end());
      }
    }
    price_ = thrust::device_vector<double>(prices.begin(), prices.end());
    for (int market = 0; market < kUpstreamMarkets; ++market) {
      buyers_[market] = thrust::device_vector<std::int32_t>(setup.buyers[market].begin(),
                                                            setup.buyers[market].end());
      sellers_[market] = thrust::device_vector<std::int32_t>(setup.sellers[market].begin(),
                                                             setup.sellers[market].end());
    }
  }

  const char* name() const override { return kBackendName; }

  void step(std::int64_t t) override {
    PhaseClock clock(*this);
    const std::int64_t firm_threads = replicates_ * firms_;
    const FirmStepContext context = firm_context(t);
    if (!frozen_) {
      launch(firm_threads, PlanFirmStep{context});
      clear_market(kMarketHbm, true, t);
      launch(firm_threads, SetAcceleratorSupply{context});
      clear_market(kMarketAccelerator, true, t);
      clear_market(kMarketCloud, false, t);
      clear_market(kMarketModel, false, t);
      clear_market(kMarketData, false, t);
      clock.lap("upstream markets");
      launch(firm_threads, ProduceAndAccumulate{context});
      launch(firm_threads * kSegments, UpdateServiceOffer{context});
      clock.lap("firm state");
    }
    const SegmentMarketView market = market_view();
    const auto cells = static_cast<std::int64_t>(segment_cells());
    launch(cells, UpdateSegmentAdoption{demand_, firms_, raw(customers_in_segment_), market});
    launch(cells * firms_, UpdateNetworkTerm{demand_.beta_network, firms_, market});
    if (!consider_all_firms_) {
      launch(cells, BuildAwarenessSampler{demand_.awareness_installed_base, firm_view(), market});
    }
    clock.lap("market aggregates");
    launch(replicates_ * ((customers_ + 1) / 2),
           CustomerChoiceStep{seed_, static_cast<std::uint32_t>(t), demand_, consider_all_firms_,
                              customer_view(), firm_view(), market});
    clock.lap("customer choice");
    if (!frozen_) {
      // Entry comes before finance so that a firm exiting in this step's settlement is never
      // replaced in the same step: its slot is free once its customers have left (next step).
      if (entry_.rate > 0.0 && entry_.first_slot < firms_) {
        launch(replicates_, EnterFirms{context, entry_, seed_, static_cast<std::uint32_t>(t)});
      }
      launch(firm_threads, SettleFinance{context});
      if (acquisition_.rate > 0.0 && !acquirers_.empty()) {
        launch(replicates_,
               AcquireStartups{context, acquisition_, seed_, static_cast<std::uint32_t>(t),
                               raw(acquirers_), static_cast<std::int32_t>(acquirers_.size()),
                               entry_.first_slot});
      }
      if (adaptation_.every > 0 && (t + 1) % adaptation_.every == 0) {
        launch(firm_threads, ReviewGrowth{firm_dynamic(), raw(growth_)});
        launch(firm_threads,
               AdaptStrategies{context, adaptation_, seed_, static_cast<std::uint32_t>(t),
                               raw(strategy_next_), raw(growth_)});
        strategy_.swap(strategy_next_);
      }
      clock.lap("finance");
    }
  }

  void apply_scenario(const ScenarioUpdate& update) override {
    value_chain_.region = update.levers;
    thrust::copy(update.region_term.begin(), update.region_term.end(), region_term_.begin());
    thrust::copy(update.export_blocked.begin(), update.export_blocked.end(),
                 export_blocked_.begin());
    for (int g = 0; g < kRegions; ++g)
      entry_.region_boost[g] = update.entry_boost[static_cast<std::size_t>(g)];
  }

  void read_tallies(std::vector<std::int32_t>& tally) override { copy_to_host(tally_, tally); }

  void read_snapshot(EnsembleSnapshot& s) override {
    copy_to_host(tally_, s.tally);
    copy_to_host(region_tally_, s.region_tally);
    copy_to_host(sold_, s.sold);
    copy_to_host(revenue_, s.revenue);
    copy_to_host(bought_, s.bought);
    copy_to_host(paid_, s.paid);
    copy_to_host(price_, s.price);
    copy_to_host(service_price_, s.service_price);
    copy_to_host(service_quality_, s.service_quality);
    copy_to_host(capability_, s.capability);
    copy_to_host(data_stock_, s.data_stock);
    copy_to_host(installed_compute_, s.installed_compute);
    copy_to_host(cash_, s.cash);
    copy_to_host(service_revenue_, s.service_revenue);
    copy_to_host(external_cost_, s.external_cost);
    copy_to_host(alive_, s.alive);
    copy_to_host(acquired_by_, s.acquired_by);
  }

  void read_providers(std::vector<std::int32_t>& provider) override {
    copy_to_host(provider_, provider);
  }

  bool overflowed() override {
    // One word from the device; a frozen market runs no money arithmetic. thrust::copy rather
    // than overflow_any_[0], whose device reference binds a null policy (UBSan reports it).
    if (frozen_) return false;
    std::uint32_t any = 0;
    thrust::copy(overflow_any_.begin(), overflow_any_.end(), &any);
    return any != 0;
  }

  void read_overflow(std::vector<std::int64_t>& overflow) override {
    copy_to_host(overflow_, overflow);
  }

  // The bytes the constructor allocates, from the sizes alone, array by array in the order of
  // the members below. Index lists of firms (buyers and sellers per market, open-weight firms,
  // model developers, acquirers) are counted at their largest, every firm.
  static EngineFootprint footprint(const EngineSizes& s) {
    constexpr double i32 = 4.0, i64 = 8.0, f64 = 8.0, u8 = 1.0;
    const double r = static_cast<double>(s.replicates);
    const double f = static_cast<double>(s.firms);
    const double customer_cells = r * static_cast<double>(s.customers);
    const double firm_cells = r * f;
    const double segment_cells = r * kSegments;
    const double segment_firm_cells = segment_cells * f;
    const double market_cells = firm_cells * kUpstreamMarkets;
    double bytes = 0.0;
    // Customers and the customer market.
    bytes += customer_cells * i32;                         // provider_
    bytes += 2.0 * static_cast<double>(s.customers) * u8;  // segment_, region_
    bytes += kSegments * i64;                              // customers_in_segment_
    bytes += kSegments * f * u8;                           // serves_
    bytes += f * kRegions * f64;                           // region_term_
    bytes += 2.0 * segment_firm_cells * f64;               // quality_term_, log_price_
    bytes += firm_cells * f64;                             // awareness_
    bytes += segment_firm_cells * i32;                     // tally_
    bytes += firm_cells * kRegions * i32;                  // region_tally_
    bytes += segment_cells * (i32 + f64);                  // adopters_, adoption_hazard_
    bytes += segment_firm_cells * f64;                     // network_term_
    if (s.sampled_consideration) bytes += segment_firm_cells * (f64 + 3.0 * i32);  // alias_*
    bytes += segment_cells * u8;  // segment_has_supply_
    // Static firm attributes: layer_mask_, in_house_chips_, firm_region_, open_weights_;
    // model_source_; open_weight_firms_, model_developers_, acquirers_; chip_performance_,
    // cloud_self_use_, base_awareness_; base_strategy_; other_income_; export_blocked_.
    bytes += f * (4.0 * u8 + i32 + 3.0 * i32 + 3.0 * f64 + kStrategyParameters * f64 + i64);
    bytes += kRegions * kRegions * u8;
    // Firm state per replicate: alive_, cash_, cash_at_review_, strategy_ (and strategy_next_,
    // growth_ with adaptation), subsidy_, acquired_by_, the eleven stocks and budgets
    // (fab_capacity_ .. capex_), external_cost_, service_revenue_, and per segment
    // service_price_, service_quality_, base_quality_, base_price_.
    bytes += firm_cells * (u8 + 2.0 * i64 + f64 + i32 + 11.0 * f64 + 2.0 * i64);
    bytes += firm_cells * kStrategyParameters * f64 * (s.adaptation ? 2.0 : 1.0);
    if (s.adaptation) bytes += firm_cells * f64;
    bytes += segment_firm_cells * 4.0 * f64;
    // Upstream markets: price_ .. attraction_ (nine doubles, four int64), overflow_ and
    // overflow_any_, and the buyer and seller lists.
    bytes += market_cells * (9.0 * f64 + 4.0 * i64);
    bytes += firm_cells * i64 + i32;
    bytes += 2.0 * kUpstreamMarkets * f * i32;
    EngineFootprint footprint;
    footprint.arrays = bytes;
    // replicate_rows (and the price table) fill one host vector of all replicates' rows before
    // copying it: the customers' providers, or the widest firm table ([market], [parameter]
    // or [segment] by firm).
    const double widest_firm_row =
        f * f64 *
        std::max<double>(std::max<double>(kUpstreamMarkets, kStrategyParameters), kSegments);
    footprint.staging =
        std::max(s.initial_customers ? customer_cells * i32 : 0.0, r * widest_firm_row);
    return footprint;
  }

  double customer_state_bytes() const override {
    // provider per customer-replicate, segment and region per customer.
    return sizeof(std::int32_t) + 2.0 * sizeof(std::uint8_t) / static_cast<double>(replicates_);
  }

 private:
  // Times the phases of one step when phase timing is on. Thrust's blocking algorithms return
  // after their kernels finish, so a lap measures the device work of the launches before it.
  class PhaseClock {
   public:
    explicit PhaseClock(Engine& engine)
        : engine_(engine), last_(std::chrono::steady_clock::now()) {}
    void lap(const char* phase) {
      if (!engine_.phase_timing_) return;
      const auto now = std::chrono::steady_clock::now();
      engine_.add_phase_time(phase, std::chrono::duration<double>(now - last_).count());
      last_ = now;
    }

   private:
    Engine& engine_;
    std::chrono::steady_clock::time_point last_;
  };

  template <typename Functor>
  void launch(std::int64_t threads, const Functor& functor) {
    if (threads > 0) {
      thrust::for_each_n(AIMARKET_EXEC, thrust::counting_iterator<std::int64_t>(0), threads,
                         functor);
    }
  }

  void clear_market(int market, bool export_controlled, std::int64_t t) {
    const auto buyers = static_cast<std::int32_t>(buyers_[market].size());
    const auto sellers = static_cast<std::int32_t>(sellers_[market].size());
    if (buyers == 0 || sellers == 0) return;
    MarketClearing clearing{market,
                            firms_,
                            raw(buyers_[market]),
                            buyers,
                            raw(sellers_[market]),
                            sellers,
                            firm_static(),
                            raw(alive_),
                            raw(export_blocked_),
                            export_controlled,
                            value_chain_.buyer_price_sensitivity,
                            market_arrays(),
                            {},
                            overflow_record(),
                            t};
    for (int g = 0; g < kRegions; ++g)
      clearing.closed_stack[g] = value_chain_.region.closed_stack[g];
    const bool priced =
        market == kMarketHbm || market == kMarketAccelerator || market == kMarketCloud;
    launch(replicates_ * sellers, SellerAttraction{clearing});
    launch(replicates_ * buyers, SumBuyerWeights{clearing});
    launch(replicates_ * sellers, ClearSeller{clearing});
    launch(replicates_ * buyers, ReceiveBuyer{clearing});
    launch(replicates_ * sellers,
           RepriceSeller{clearing, priced ? value_chain_.price_adjustment_speed : 0.0,
                         value_chain_.max_price_change, price_floor_[market]});
  }

  std::size_t firm_cells() const { return static_cast<std::size_t>(replicates_ * firms_); }
  std::size_t market_cells() const { return firm_cells() * kUpstreamMarkets; }
  std::size_t segment_cells() const { return static_cast<std::size_t>(replicates_ * kSegments); }
  std::size_t segment_firm_cells() const {
    return segment_cells() * static_cast<std::size_t>(firms_);
  }

  CustomerView customer_view() {
    return CustomerView{raw(provider_), raw(segment_), raw(region_), customers_};
  }
  FirmView firm_view() {
    return FirmView{firms_,       raw(quality_term_), raw(log_price_),
                    raw(serves_), raw(region_term_),  raw(awareness_),
                    raw(alive_),  raw(acquired_by_)};
  }
  SegmentMarketView market_view() {
    return SegmentMarketView{
        raw(tally_),           raw(region_tally_),      raw(adopters_),    raw(adoption_hazard_),
        raw(network_term_),    raw(alias_prob_),        raw(alias_index_), raw(alias_scratch_a_),
        raw(alias_scratch_b_), raw(segment_has_supply_)};
  }
  FirmStatic firm_static() {
    return FirmStatic{firms_,
                      raw(layer_mask_),
                      raw(in_house_chips_),
                      raw(firm_region_),
                      raw(chip_performance_),
                      raw(model_source_),
                      raw(open_weights_),
                      raw(base_awareness_),
                      raw(other_income_),
                      raw(serves_),
                      raw(open_weight_firms_),
                      static_cast<std::int32_t>(open_weight_firms_.size()),
                      raw(model_developers_),
                      static_cast<std::int32_t>(model_developers_.size()),
                      raw(base_strategy_),
                      raw(cloud_self_use_)};
  }
  FirmDynamic firm_dynamic() {
    return FirmDynamic{raw(alive_),
                       raw(cash_),
                       raw(fab_capacity_),
                       raw(hbm_capacity_),
                       raw(installed_compute_),
                       raw(data_stock_),
                       raw(training_compute_),
                       raw(capability_),
                       raw(rd_stock_),
                       raw(marketing_awareness_),
                       raw(rd_budget_),
                       raw(marketing_budget_),
                       raw(capex_),
                       raw(external_cost_),
                       raw(service_revenue_),
                       raw(awareness_),
                       raw(quality_term_),
                       raw(log_price_),
                       raw(service_price_),
                       raw(service_quality_),
                       raw(base_quality_),
                       raw(base_price_),
                       raw(strategy_),
                       raw(subsidy_),
                       raw(acquired_by_),
                       raw(cash_at_review_)};
  }
  MarketArrays market_arrays() {
    return MarketArrays{raw(price_),        raw(unit_demand_), raw(budget_),
                        raw(weight_total_), raw(capacity_),    raw(demand_received_),
                        raw(ration_),       raw(sold_),        raw(revenue_),
                        raw(bought_),       raw(paid_),        raw(performance_bought_),
                        raw(attraction_)};
  }
  OverflowRecord overflow_record() { return OverflowRecord{raw(overflow_), raw(overflow_any_)}; }
  FirmStepContext firm_context(std::int64_t t) {
    return FirmStepContext{value_chain_, firm_static(),          firm_dynamic(),   market_arrays(),
                           raw(tally_),  static_cast<double>(t), overflow_record()};
  }

  std::int64_t replicates_;
  std::int64_t customers_;
  std::int32_t firms_;
  std::uint64_t seed_;
  DemandParams demand_;
  bool frozen_;
  ValueChainParams value_chain_;
  EntryParams entry_;
  bool consider_all_firms_;

  // Customers and the customer market.
  thrust::device_vector<std::int32_t> provider_;
  thrust::device_vector<std::uint8_t> segment_;
  thrust::device_vector<std::uint8_t> region_;
  thrust::device_vector<std::int64_t> customers_in_segment_;
  thrust::device_vector<std::uint8_t> serves_;
  thrust::device_vector<double> region_term_;
  thrust::device_vector<double> quality_term_;
  thrust::device_vector<double> log_price_;
  thrust::device_vector<double> awareness_;
  thrust::device_vector<std::int32_t> tally_;
  thrust::device_vector<std::int32_t> region_tally_;  // [replicate][region][firm], output only
  thrust::device_vector<std::int32_t> adopters_;
  thrust::device_vector<double> adoption_hazard_;
  thrust::device_vector<double> network_term_;
  thrust::device_vector<double> alias_prob_;
  thrust::device_vector<std::int32_t> alias_index_;
  thrust::device_vector<std::int32_t> alias_scratch_a_;
  thrust::device_vector<std::int32_t> alias_scratch_b_;
  thrust::device_vector<std::uint8_t> segment_has_supply_;

  // Static firm attributes.
  thrust::device_vector<std::uint8_t> layer_mask_;
  thrust::device_vector<std::uint8_t> in_house_chips_;
  thrust::device_vector<std::uint8_t> firm_region_;
  thrust::device_vector<std::uint8_t> open_weights_;
  thrust::device_vector<std::int32_t> model_source_;
  thrust::device_vector<std::int32_t> open_weight_firms_;
  thrust::device_vector<double> chip_performance_;
  thrust::device_vector<std::int32_t> model_developers_;
  thrust::device_vector<double> base_strategy_;   // [parameter][firm]
  thrust::device_vector<double> cloud_self_use_;  // [firm]
  thrust::device_vector<std::int32_t> acquirers_;
  AdaptationParams adaptation_;
  AcquisitionParams acquisition_;
  thrust::device_vector<double> base_awareness_;
  thrust::device_vector<std::int64_t> other_income_;
  thrust::device_vector<std::uint8_t> export_blocked_;

  // Firm state per replicate.
  thrust::device_vector<std::uint8_t> alive_;
  thrust::device_vector<std::int64_t> cash_;
  thrust::device_vector<std::int64_t> cash_at_review_;
  thrust::device_vector<double> strategy_;           // [replicate][parameter][firm]
  thrust::device_vector<double> strategy_next_;      // adaptation writes here, then swaps
  thrust::device_vector<double> growth_;             // [replicate][firm] at a review
  thrust::device_vector<double> subsidy_;            // [replicate][firm] USD this step
  thrust::device_vector<std::int32_t> acquired_by_;  // [replicate][firm]
  thrust::device_vector<double> fab_capacity_;
  thrust::device_vector<double> hbm_capacity_;
  thrust::device_vector<double> installed_compute_;
  thrust::device_vector<double> data_stock_;
  thrust::device_vector<double> training_compute_;
  thrust::device_vector<double> capability_;
  thrust::device_vector<double> rd_stock_;
  thrust::device_vector<double> marketing_awareness_;
  thrust::device_vector<double> rd_budget_;
  thrust::device_vector<double> marketing_budget_;
  thrust::device_vector<double> capex_;
  thrust::device_vector<std::int64_t> external_cost_;
  thrust::device_vector<std::int64_t> service_revenue_;
  thrust::device_vector<double> service_price_;
  thrust::device_vector<double> service_quality_;  // [replicate][segment][firm]
  thrust::device_vector<double> base_quality_;     // [replicate][segment][firm]: entrants redraw
  thrust::device_vector<double> base_price_;       // [replicate][segment][firm]

  // Upstream markets, [replicate][market][firm].
  thrust::device_vector<double> price_;
  thrust::device_vector<double> unit_demand_;
  thrust::device_vector<double> budget_;
  thrust::device_vector<double> weight_total_;
  thrust::device_vector<double> capacity_;
  thrust::device_vector<double> demand_received_;
  thrust::device_vector<double> ration_;
  thrust::device_vector<std::int64_t> sold_;
  thrust::device_vector<std::int64_t> revenue_;
  thrust::device_vector<std::int64_t> bought_;
  thrust::device_vector<std::int64_t> paid_;
  thrust::device_vector<double> performance_bought_;
  thrust::device_vector<double> attraction_;
  // [replicate][firm] first int64 overflow of the firm's money or units (OverflowRecord).
  thrust::device_vector<std::int64_t> overflow_;
  thrust::device_vector<std::uint32_t> overflow_any_;  // 1 once any is recorded
  std::array<thrust::device_vector<std::int32_t>, kUpstreamMarkets> buyers_;
  std::array<thrust::device_vector<std::int32_t>, kUpstreamMarkets> sellers_;
  std::array<double, kUpstreamMarkets> price_floor_;
};

// The step driver for one backend. This file is included once per backend, inside that
// backend's namespace, with AIMARKET_EXEC naming the Thrust execution policy:
//   cpu_backend.cpp  -> aimarket::cpu,  thrust::omp::par (compiled by the host compiler)
//   cuda_backend.cu  -> aimarket::cuda, thrust::cuda::par (compiled by nvcc)
// Every launch covers all replicates at once (batched ensemble). No allocation happens after
// construction: the step loop only launches functors over preallocated arrays.
//
// Requires before inclusion: <thrust/device_vector.h>, <thrust/for_each.h>,
// <thrust/iterator/counting_iterator.h>, <thrust/fill.h>, <thrust/copy.h>, backend.hpp and the
// kernels' headers.

class Engine final : public EnsembleBackend {
 public:
  explicit Engine(const MarketSetup& setup)
      : replicates_(setup.replicates),
        customers_(setup.customers),
        firms_(setup.firms),
        seed_(setup.seed),
        demand_(setup.demand),
        consider_all_firms_(setup.demand.consideration_set == 0 ||
                            setup.demand.consideration_set >= setup.firms),
        provider_(static_cast<std::size_t>(setup.replicates * setup.customers), -1),
        segment_(setup.customer_segment.begin(), setup.customer_segment.end()),
        region_(setup.customer_region.begin(), setup.customer_region.end()),
        customers_in_segment_(setup.customers_in_segment.begin(),
                              setup.customers_in_segment.end()),
        quality_term_(setup.quality_term.begin(), setup.quality_term.end()),
        log_price_(setup.log_price.begin(), setup.log_price.end()),
        serves_(setup.serves.begin(), setup.serves.end()),
        region_term_(setup.region_term.begin(), setup.region_term.end()),
        awareness_(setup.awareness.begin(), setup.awareness.end()),
        tally_(segment_firm_cells(), 0),
        adopters_(segment_cells(), 0),
        adoption_hazard_(segment_cells(), 0.0),
        network_term_(segment_firm_cells(), 0.0),
        alias_prob_(consider_all_firms_ ? 0 : segment_firm_cells()),
        alias_index_(consider_all_firms_ ? 0 : segment_firm_cells()),
        alias_scratch_a_(consider_all_firms_ ? 0 : segment_firm_cells()),
        alias_scratch_b_(consider_all_firms_ ? 0 : segment_firm_cells()),
        segment_has_supply_(segment_cells(), 0) {}

  const char* name() const override { return kBackendName; }

  void step(std::int64_t t) override {
    const SegmentMarketView market = market_view();
    const auto cells = static_cast<std::int64_t>(segment_cells());
    PhaseClock clock(*this);
    thrust::for_each_n(AIMARKET_EXEC, thrust::counting_iterator<std::int64_t>(0), cells,
                       UpdateSegmentAdoption{demand_, firms_,
                                             thrust::raw_pointer_cast(customers_in_segment_.data()),
                                             market});
    thrust::for_each_n(AIMARKET_EXEC, thrust::counting_iterator<std::int64_t>(0),
                       cells * firms_, UpdateNetworkTerm{demand_.beta_network, firms_, market});
    if (!consider_all_firms_) {
      thrust::for_each_n(AIMARKET_EXEC, thrust::counting_iterator<std::int64_t>(0), cells,
                         BuildAwarenessSampler{demand_.awareness_installed_base, firm_view(),
                                               market});
    }
    clock.lap("market aggregates");
    CustomerChoiceStep choice{seed_, static_cast<std::uint32_t>(t), demand_,
                              consider_all_firms_, customer_view(), firm_view(), market};
    thrust::for_each_n(AIMARKET_EXEC, thrust::counting_iterator<std::int64_t>(0),
                       replicates_ * customers_, choice);
    clock.lap("customer choice");
  }

  void read_tallies(std::vector<std::int32_t>& tally) override {
    tally.resize(tally_.size());
    thrust::copy(tally_.begin(), tally_.end(), tally.begin());
  }

  void read_providers(std::vector<std::int32_t>& provider) override {
    provider.resize(provider_.size());
    thrust::copy(provider_.begin(), provider_.end(), provider.begin());
  }

  double customer_state_bytes() const override {
    // provider per customer-replicate, segment and region per customer.
    return sizeof(std::int32_t) +
           2.0 * sizeof(std::uint8_t) / static_cast<double>(replicates_);
  }

 private:
  // Times the phases of one step when phase timing is on. Thrust's blocking algorithms return
  // after their kernels finish, so a lap measures the device work of the launches before it.
  class PhaseClock {
   public:
    explicit PhaseClock(Engine& engine) : engine_(engine), last_(std::chrono::steady_clock::now()) {}
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

  std::size_t segment_cells() const { return static_cast<std::size_t>(replicates_ * kSegments); }
  std::size_t segment_firm_cells() const { return segment_cells() * static_cast<std::size_t>(firms_); }

  CustomerView customer_view() {
    return CustomerView{thrust::raw_pointer_cast(provider_.data()),
                        thrust::raw_pointer_cast(segment_.data()),
                        thrust::raw_pointer_cast(region_.data()), customers_};
  }
  FirmView firm_view() {
    return FirmView{firms_,
                    thrust::raw_pointer_cast(quality_term_.data()),
                    thrust::raw_pointer_cast(log_price_.data()),
                    thrust::raw_pointer_cast(serves_.data()),
                    thrust::raw_pointer_cast(region_term_.data()),
                    thrust::raw_pointer_cast(awareness_.data())};
  }
  SegmentMarketView market_view() {
    return SegmentMarketView{thrust::raw_pointer_cast(tally_.data()),
                             thrust::raw_pointer_cast(adopters_.data()),
                             thrust::raw_pointer_cast(adoption_hazard_.data()),
                             thrust::raw_pointer_cast(network_term_.data()),
                             thrust::raw_pointer_cast(alias_prob_.data()),
                             thrust::raw_pointer_cast(alias_index_.data()),
                             thrust::raw_pointer_cast(alias_scratch_a_.data()),
                             thrust::raw_pointer_cast(alias_scratch_b_.data()),
                             thrust::raw_pointer_cast(segment_has_supply_.data())};
  }

  std::int64_t replicates_;
  std::int64_t customers_;
  std::int32_t firms_;
  std::uint64_t seed_;
  DemandParams demand_;
  bool consider_all_firms_;

  thrust::device_vector<std::int32_t> provider_;
  thrust::device_vector<std::uint8_t> segment_;
  thrust::device_vector<std::uint8_t> region_;
  thrust::device_vector<std::int64_t> customers_in_segment_;
  thrust::device_vector<double> quality_term_;
  thrust::device_vector<double> log_price_;
  thrust::device_vector<std::uint8_t> serves_;
  thrust::device_vector<double> region_term_;
  thrust::device_vector<double> awareness_;
  thrust::device_vector<std::int32_t> tally_;
  thrust::device_vector<std::int32_t> adopters_;
  thrust::device_vector<double> adoption_hazard_;
  thrust::device_vector<double> network_term_;
  thrust::device_vector<double> alias_prob_;
  thrust::device_vector<std::int32_t> alias_index_;
  thrust::device_vector<std::int32_t> alias_scratch_a_;
  thrust::device_vector<std::int32_t> alias_scratch_b_;
  thrust::device_vector<std::uint8_t> segment_has_supply_;
};

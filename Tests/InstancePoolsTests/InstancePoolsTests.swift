import Testing
import InstancePools

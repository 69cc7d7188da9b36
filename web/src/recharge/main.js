import { createApp } from 'vue'
import '../common/base.css'
import Recharge from './Recharge.vue'

createApp(Recharge).mount('#app')
